#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudyFileSystem
@testable import UnderstudyState

struct TreeScannerTests {
    @Test func recordsEntries_skipsSpecialFilesAndReservedNames() throws {
        let root = TestTree.makeTemporaryDirectory("scan")
        defer { TestTree.remove(root) }
        TestTree.write(root, "a/file", "x")
        TestTree.symlink(root, "a/link", target: "../outside")
        mkfifo(root + "/fifo", 0o644)
        TestTree.write(root, "a/.understudy.tmp.0123456789abcdef", "leftover")
        TestTree.write(root, "a/.understudy.part.big", "partial")
        TestTree.write(root, "skip.tmp", "excluded")
        let share = try ShareDirectory(path: root, create: false)
        let result = try TreeScanner(filter: try PathFilter(include: [], exclude: ["*.tmp"])).scan(share)
        #expect(result.entries.map(\.path) == ["", "a", "a/file", "a/link"])
        #expect(result.entries.first { $0.path == "a/link" }?.linkTarget == "../outside")
        #expect(result.temporaries == ["a/.understudy.tmp.0123456789abcdef"])
        #expect(result.partials == ["a/big": 7])
        #expect(result.skipped.map(\.path) == ["fifo"])
    }

    @Test func aScanInACancelledTask_stopsWithECANCELED_andAnUncancelledOneFinishes() async throws {
        let root = TestTree.makeTemporaryDirectory("scan-cancelled")
        defer { TestTree.remove(root) }
        TestTree.write(root, "a/b/file", "x")
        let scan = { @Sendable () throws -> [String] in
            let share = try ShareDirectory(path: root, create: false)
            return try TreeScanner(filter: try PathFilter(include: [], exclude: [])).scan(share).entries.map(\.path)
        }
        let cancelled = Task { () throws -> [String] in
            withUnsafeCurrentTask { $0?.cancel() }
            return try scan()
        }
        let error = await #expect(throws: FileSystemError.self) { try await cancelled.value }
        #expect(error?.errnoValue == ECANCELED, "\(String(describing: error))")
        #expect(try await Task { try scan() }.value == ["", "a", "a/b", "a/b/file"])
    }

    @Test func scopedScan_seesOnlyItsPaths_andNeverWalksThroughASymlinkOrAnExcludedDirectory() throws {
        let root = TestTree.makeTemporaryDirectory("scan-scope")
        let outside = TestTree.makeTemporaryDirectory("scan-scope-outside")
        defer {
            TestTree.remove(root)
            TestTree.remove(outside)
        }
        TestTree.write(outside, "secret", "not ours")
        TestTree.write(root, "docs/a.txt", "a")
        TestTree.write(root, "docs/sub/b.txt", "b")
        TestTree.write(root, "other.txt", "o")
        TestTree.write(root, "cache/c.txt", "c")
        TestTree.symlink(root, "escape", target: outside)
        let share = try ShareDirectory(path: root, create: false)
        let scanner = TreeScanner(filter: try PathFilter(include: [], exclude: ["cache/"]))
        let scoped = try scanner.scan(
            share,
            scope: [
                ScopedPath("docs", recursive: true), ScopedPath("escape/secret", recursive: false),
                ScopedPath("escape", recursive: true), ScopedPath("cache/c.txt", recursive: false),
                ScopedPath("missing/x", recursive: true), ScopedPath("", recursive: false),
            ])
        #expect(scoped.entries.map(\.path) == ["", "docs", "docs/a.txt", "docs/sub", "docs/sub/b.txt", "escape"])
        #expect(scoped.entries.first { $0.path == "escape" }?.kind == .symlink)
        // The same ShareDirectory walked twice sees everything both times (no shared read position).
        let first = try scanner.scan(share).entries.map(\.path)
        let second = try scanner.scan(share).entries.map(\.path)
        #expect(first == second && second.contains("other.txt"))
    }

    @Test func reusesIndexedHash_onlyWhenFileIsProvablyUnchanged() throws {
        let root = TestTree.makeTemporaryDirectory("scan-index")
        defer { TestTree.remove(root) }
        TestTree.write(root, "f", "content")
        let share = try ShareDirectory(path: root, create: false)
        let status = try share.status("f")
        let hash = [UInt8](repeating: 3, count: 32)
        let record = FileIndexRecord(
            path: "f", size: status.size, mtimeSeconds: status.attributes.mtimeSeconds,
            mtimeNanoseconds: Int32(status.attributes.mtimeNanoseconds), ctimeSeconds: status.ctimeSeconds,
            ctimeNanoseconds: status.ctimeNanoseconds, inode: status.inode, contentHash: hash)
        let scanned = try TreeScanner(filter: PathFilter(), index: FileIndexSnapshot([record])).scan(share)
        #expect(scanned.entries.first { $0.path == "f" }?.contentHash == hash)
        chmod(root + "/f", 0o600)  // changes ctime only
        let rescanned = try TreeScanner(filter: PathFilter(), index: FileIndexSnapshot([record])).scan(share)
        #expect(rescanned.entries.first { $0.path == "f" }?.contentHash == nil)
    }
}
