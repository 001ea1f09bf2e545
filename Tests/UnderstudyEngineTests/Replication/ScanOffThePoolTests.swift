#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
import UnderstudySession
@testable import UnderstudyFileSystem
@testable import UnderstudyReplication

/// A sync's walk runs on a thread of its own (not the cooperative pool's), and still stops at its next directory when
/// the sync that asked for it is cancelled.
@Suite struct ScanOffThePoolTests {
    static func tree(_ label: String) -> String {
        let root = TestTree.makeTemporaryDirectory(label)
        for index in 0..<30 { TestTree.write(root, "d\(index % 6)/e\(index % 3)/f\(index)", "\(index)") }
        return root
    }

    @Test func aScanOffThePool_findsWhatAScanOnThePoolFinds() async throws {
        let root = Self.tree("scan-thread")
        defer { TestTree.remove(root) }
        let scope = [ScopedPath("", recursive: true)]
        let off = try await TreeScanner.offThePool(path: root, create: false, filter: PathFilter(), scope: scope)
        let on = try TreeScanner(filter: PathFilter()).scan(try ShareDirectory(path: root, create: false), scope: scope)
        #expect(off.entries == on.entries)
        // The root, d0…d5, one e… in each (index % 6 fixes index % 3), and the 30 files.
        let expected = 43
        #expect(off.entries.count == expected)
    }

    @Test func aSliceScannedOffThePool_isTheSliceAScanOnThePoolFinds() async throws {
        let root = Self.tree("scan-slice")
        defer { TestTree.remove(root) }
        let slice = PathSlice(after: "d2/e2/f2", limit: 10)
        let off = try await TreeScanner.offThePool(path: root, create: false, filter: PathFilter(), slice: slice)
        let on = try TreeScanner(filter: PathFilter()).scan(try ShareDirectory(path: root, create: false), slice: slice)
        #expect(off.entries == on.entries)
        #expect(off.entries.count == 10 && !off.complete)
        #expect(off.entries.allSatisfy { $0.path > "d2/e2/f2" })
    }

    @Test func aScanAskedToStop_throwsAtItsNextDirectory() throws {
        let root = Self.tree("scan-stop")
        defer { TestTree.remove(root) }
        let asked = AskCounter()
        var scanner = TreeScanner(filter: PathFilter())
        scanner.isCancelled = { asked.next() > 3 }
        #expect(throws: FileSystemError.self) { try scanner.scan(try ShareDirectory(path: root, create: false)) }
        #expect(asked.count == 4, "asked once per directory until told to stop")
    }

    @Test func aCancelledSync_stopsItsScanOffThePool() async throws {
        let root = Self.tree("scan-cancel")
        defer { TestTree.remove(root) }
        let scan = Task {
            // Cancelled before it starts: the flag is set at once, and the thread stops at the first directory.
            withUnsafeCurrentTask { $0?.cancel() }
            return try await TreeScanner.offThePool(
                path: root, create: false, filter: PathFilter(), scope: [ScopedPath("", recursive: true)])
        }
        await #expect(throws: FileSystemError.self) { try await scan.value }
    }
}

final class AskCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var asked = 0

    var count: Int { lock.withLock { asked } }

    /// Counts one more question; returns the count.
    func next() -> Int {
        lock.withLock {
            asked += 1
            return asked
        }
    }
}
