#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyFileSystem
@testable import UnderstudyNode

struct SliceScanTests {
    /// Names that sort around "/" ("a b", "a.c" before "a/…", "a0" after), nesting, empty directories, symlinks.
    private static func makeTree(_ root: String) {
        for path in [
            "a/x", "a/y/z", "a b", "a.c", "a0", "a-/q", "b/c/d/e/f", "b/c/d2", "b/c.txt", "empty/", "z/1", "z/10",
            "z/1 0", "z/1.0/k", "z/2", "ü/é", "cache/skip", "cache.keep",
        ] {
            if path.hasSuffix("/") {
                try? FileManager.default.createDirectory(
                    atPath: root + "/" + path, withIntermediateDirectories: true)
            } else {
                TestTree.write(root, path, path)
            }
        }
        TestTree.symlink(root, "b/link", target: "../a")
        TestTree.write(root, "a/.understudy.part.big", "partial")
    }

    private static func slices(_ root: String, limit: Int, filter: PathFilter) throws -> [TreeScanner.Result] {
        let share = try ShareDirectory(path: root, create: false)
        var results: [TreeScanner.Result] = []
        var after: String?
        for _ in 0..<1000 {
            let result = try TreeScanner(filter: filter).scan(share, slice: PathSlice(after: after, limit: limit))
            results.append(result)
            if result.complete { return results }
            after = result.entries.last!.path
        }
        Issue.record("the slices never reached the end of the tree")
        return results
    }

    @Test(arguments: [1, 2, 3, 7, 1000])
    func slicesInPathOrder_coverTheWholeScanOnce(limit: Int) throws {
        let root = TestTree.makeTemporaryDirectory("slice-scan")
        defer { TestTree.remove(root) }
        Self.makeTree(root)
        let filter = try PathFilter(include: [], exclude: ["cache"])
        let whole = try TreeScanner(filter: filter).scan(try ShareDirectory(path: root, create: false))
        let slices = try Self.slices(root, limit: limit, filter: filter)
        let joined = slices.flatMap(\.entries)
        #expect(joined.map(\.path) == whole.entries.map(\.path))
        #expect(joined == whole.entries)
        #expect(!joined.contains { $0.path.hasPrefix("cache/") || $0.path == "cache" })
        for slice in slices.dropLast() { #expect(slice.entries.count == limit) }
        #expect(slices.count == (whole.entries.count + limit - 1) / limit + (whole.entries.count % limit == 0 ? 1 : 0))
    }

    @Test func aSliceContext_isTheDirectoriesItEnteredThatComeBeforeIt() throws {
        let root = TestTree.makeTemporaryDirectory("slice-context")
        defer { TestTree.remove(root) }
        Self.makeTree(root)
        let share = try ShareDirectory(path: root, create: false)
        let scanner = TreeScanner(filter: try PathFilter(include: [], exclude: []))
        let slice = try scanner.scan(share, slice: PathSlice(after: "b/c/d/e", limit: 2))
        #expect(slice.entries.map(\.path) == ["b/c/d/e/f", "b/c/d2"])
        #expect(slice.context.map(\.path) == ["", "b", "b/c", "b/c/d", "b/c/d/e"])
        #expect(slice.context.allSatisfy { $0.kind == .directory })
        #expect(!slice.complete)
        let first = try scanner.scan(share, slice: PathSlice(after: nil, limit: 3))
        #expect(first.entries.map(\.path) == ["", "a", "a b"])
        #expect(first.context.isEmpty)
        #expect(first.partials == [:], "a's contents are not read until its subtree's turn")
        let inside = try scanner.scan(share, slice: PathSlice(after: "a.c", limit: 2))
        #expect(inside.entries.map(\.path) == ["a/x", "a/y"])
        #expect(inside.context.map(\.path) == ["", "a"])
        #expect(inside.partials == ["a/big": 7])
        let last = try scanner.scan(share, slice: PathSlice(after: "z/2", limit: 5))
        #expect(last.entries.map(\.path) == ["ü", "ü/é"])
        #expect(last.context.map(\.path) == ["", "z"], "z was entered: its last names might have come after z/2")
        #expect(last.complete)
        let beyond = try scanner.scan(share, slice: PathSlice(after: "ü/é", limit: 5))
        #expect(beyond.entries.isEmpty && beyond.complete)
        #expect(beyond.context.map(\.path) == ["", "ü"])
    }
}
