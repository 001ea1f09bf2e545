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

    @Test func aVerificationInSlices_findsChangesInEverySlice_andReportsThemOnceForTheShare() async throws {
        let cluster = try TestCluster(
            label: "verify-sliced", groupExtra: "verify_interval = \"3s\"\ncompare_slice = 1000")
        defer { Task { await cluster.remove() } }
        for directory in 0..<25 {
            for file in 0..<100 {
                TestTree.write(cluster.source, "d\(directory)/f\(file)", "file \(directory).\(file)")
            }
        }
        try cluster.start("alpha")
        try cluster.start("beta")
        try await LiveMirrorTests.expectConverged(cluster, seconds: 60, "first comparison")
        // The primary is stopped while the replica is tampered with, so that no verification is half-way through
        // the share (one that had passed the first slice would find only the second change, the next one the first).
        await cluster.stop("alpha")
        // Same length, same mtime, other bytes, in the first slice and in the last.
        for path in ["d0/f1", "d9/f99"] {
            var original = stat()
            stat(cluster.replica + "/" + path, &original)
            TestTree.write(cluster.replica, path, String(repeating: "X", count: Int(original.st_size)))
            TestTree.setTime(
                cluster.replica, path, seconds: Int(original.st_mtim.tv_sec), nanoseconds: Int(original.st_mtim.tv_nsec)
            )
        }
        try cluster.start("alpha")
        try await LiveMirrorTests.expectConverged(cluster, seconds: 30, "after a verification")
        let reports = await cluster.logs.waitFor("differed on the replica", seconds: 5)
        #expect(reports.count == 1, "one report for the share: \(reports)")
        #expect(
            reports.contains {
                $0.contains("2 of 2500 files") && $0.contains("\"d0/f1\"") && $0.contains("\"d9/f99\"")
            },
            "\(reports)")
    }
}
