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

    @Test func aScanInBatches_handsOverEveryEntryOnce_andKeepsNone() throws {
        let root = Self.tree("scan-batches")
        defer { TestTree.remove(root) }
        let share = try ShareDirectory(path: root, create: false)
        let batches = BatchLog()
        var scanner = TreeScanner(filter: PathFilter())
        scanner.batches = (4, { batches.append($0) })
        let result = try scanner.scan(share)
        #expect(result.entries.isEmpty)
        let whole = try TreeScanner(filter: PathFilter()).scan(share).entries
        #expect(batches.entries.sorted { $0.path < $1.path } == whole)
        #expect(batches.count > 1)
    }

    @Test func aScanOffThePool_encodingAboveALimit_describesTheTreeInChunks() async throws {
        let root = Self.tree("scan-encode")
        defer { TestTree.remove(root) }
        let scope = [ScopedPath("", recursive: true)]
        let (scan, encoded) = try await TreeScanner.offThePool(
            path: root, create: false, filter: PathFilter(), scope: scope, encodingAbove: 10)
        #expect(scan.entries.isEmpty)
        guard case .chunks(_, let count) = encoded else {
            Issue.record("43 entries past a limit of 10 came back whole")
            return
        }
        #expect(count == 43)
        let (small, whole) = try await TreeScanner.offThePool(
            path: root, create: false, filter: PathFilter(), scope: scope, encodingAbove: 100)
        guard case .entries(let entries) = whole else {
            Issue.record("43 entries within a limit of 100 came back encoded")
            return
        }
        #expect(small.entries.isEmpty && entries.count == 43)
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

final class BatchLog: @unchecked Sendable {
    private let lock = NSLock()
    private var batches: [[ManifestEntry]] = []

    func append(_ batch: [ManifestEntry]) { lock.withLock { batches.append(batch) } }
    var entries: [ManifestEntry] { lock.withLock { batches.flatMap { $0 } } }
    var count: Int { lock.withLock { batches.count } }
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
