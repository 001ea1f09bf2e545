#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode

/// `verify_interval`: the trees are compared by content, which finds what no stat comparison can — a replica
/// file changed behind understudy's back with its size and time kept — repairs it and names it.
@Suite(.serialized)
struct VerificationTests {
    @Test func replicaFileChangedBehindOurBack_withSizeAndTimeKept_isFoundRepairedAndReported() async throws {
        let cluster = try TestCluster(label: "verify", groupExtra: "verify_interval = \"2s\"")
        defer { Task { await cluster.remove() } }
        TestTree.write(cluster.source, "docs/contract.txt", "the agreed text, version 1")
        TestTree.write(cluster.source, "docs/other.txt", "untouched")
        try cluster.start("alpha")
        try cluster.start("beta")
        try await LiveMirrorTests.expectConverged(cluster, "first comparison")

        // Same length, same mtime, other bytes: a stat comparison sees nothing.
        var original = stat()
        stat(cluster.replica + "/docs/contract.txt", &original)
        TestTree.write(cluster.replica, "docs/contract.txt", "the agreed text, version X")
        TestTree.setTime(
            cluster.replica, "docs/contract.txt", seconds: Int(original.st_mtim.tv_sec),
            nanoseconds: Int(original.st_mtim.tv_nsec))
        // And undo the directory's time, as a careful intruder would.
        TestTree.setTime(cluster.replica, "docs", seconds: 0)
        var dirTime = stat()
        stat(cluster.source + "/docs", &dirTime)
        TestTree.setTime(
            cluster.replica, "docs", seconds: Int(dirTime.st_mtim.tv_sec), nanoseconds: Int(dirTime.st_mtim.tv_nsec))
        #expect(try await cluster.differences().count == 1, "the tampering shows as a content difference")

        try await LiveMirrorTests.expectConverged(cluster, seconds: 20, "after a verification")
        let reports = await cluster.logs.waitFor("differed on the replica", seconds: 5)
        #expect(reports.contains { $0.contains("1 of 2 files") && $0.contains("\"docs/contract.txt\"") }, "\(reports)")
    }
}
