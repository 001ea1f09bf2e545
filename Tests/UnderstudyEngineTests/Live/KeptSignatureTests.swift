#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyState
@testable import UnderstudyNode

/// The standby keeps the block signature of each large file it writes, for the version it wrote; an edit then
/// travels as a delta, and the kept signature follows the new version.
@Suite(.serialized)
struct KeptSignatureTests {
    /// The replica file's stat as the index records it.
    static func record(_ path: String, in root: String) -> FileIndexRecord? {
        var status = stat()
        guard lstat(root + "/" + path, &status) == 0 else { return nil }
        return FileIndexRecord(
            path: path, size: Int64(status.st_size), mtimeSeconds: Int64(status.st_mtim.tv_sec),
            mtimeNanoseconds: Int32(status.st_mtim.tv_nsec), ctimeSeconds: Int64(status.st_ctim.tv_sec),
            ctimeNanoseconds: Int32(status.st_ctim.tv_nsec), inode: UInt64(status.st_ino), contentHash: nil)
    }

    /// Waits (bounded) until the standby's database holds a signature describing the replica file as it is now.
    static func expectKeptSignature(_ cluster: TestCluster, _ path: String, _ what: String) async throws {
        let database = try StateDatabase(directory: cluster.root + "/beta-state")
        var kept: FileSignatureRecord?
        for _ in 0..<100 {
            kept = try database.fileSignature(share: "files/data", path: path)
            if let kept, let now = record(path, in: cluster.replica), kept.describes(now) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("\(what): no kept signature describes \(path) as it is (\(String(describing: kept?.file)))")
    }

    @Test func aLargeFile_isKeptWithItsSignature_andAnEditGoesAsADelta() async throws {
        let cluster = try TestCluster(label: "kept-signature")
        defer { Task { await cluster.remove() } }
        var content = TestTree.randomBytes(3 << 20, seed: 31)
        TestTree.write(cluster.source, "big.bin", content)
        TestTree.write(cluster.source, "small.txt", "not signed")
        try cluster.start("alpha")
        try cluster.start("beta")
        try await LiveMirrorTests.expectConverged(cluster, "first copy")
        try await Self.expectKeptSignature(cluster, "big.bin", "after the first copy")
        #expect(
            try StateDatabase(directory: cluster.root + "/beta-state").fileSignature(
                share: "files/data", path: "small.txt") == nil)

        for offset in [100_000, 1_500_000, 3_000_000] { content[offset] ^= 0x5A }
        TestTree.write(cluster.source, "big.bin", content)
        try await LiveMirrorTests.expectConverged(cluster, "after an edit")
        let deltas = await cluster.logs.waitFor("1 as deltas", seconds: 5)
        #expect(!deltas.isEmpty, "the edit went as a delta: \(cluster.recentLog)")
        try await Self.expectKeptSignature(cluster, "big.bin", "after the edit")
    }
}
