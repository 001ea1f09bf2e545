#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode

/// A full disk on the standby is reported and retried, never fatal: once there is room again the replica
/// converges by itself, on the same connection.
@Suite(.serialized)
struct ReplicaDiskFullTests {
    static func mount(_ arguments: [String]) throws {
        let (status, output) = try ChildProcess.run("/bin/mount", arguments)
        guard status == 0 else { throw NodeTestError("mount \(arguments) failed (\(status)): \(output)") }
    }

    @Test func fullReplicaDisk_isReportedAndRetried_untilThereIsRoom() async throws {
        let cluster = try TestCluster(label: "disk-full")
        mkdir(cluster.replica, 0o755)
        try Self.mount(["-t", "tmpfs", "-o", "size=1m", "tmpfs", cluster.replica])
        defer {
            umount2(cluster.replica, Int32(MNT_DETACH))
            Task { await cluster.remove() }
        }
        try cluster.start("alpha")
        try cluster.start("beta")
        try await LiveMirrorTests.expectConverged(cluster, "empty trees")

        TestTree.write(cluster.source, "small.txt", "fits")
        try await LiveMirrorTests.expectConverged(cluster, "a file that fits")
        TestTree.write(cluster.source, "big.bin", TestTree.randomBytes(3_000_000, seed: 5))
        var reported: ShareStatus?
        for _ in 0..<100 where reported == nil {
            try await Task.sleep(for: .milliseconds(100))
            let share = try await LiveMirrorTests.share(cluster, "beta")
            if share.lastError != nil { reported = share }
        }
        let status = try #require(reported, "the standby reports the failure in its status")
        #expect(status.state == .behind || status.state == .error, "\(status.state)")
        #expect(!cluster.logs.containing("No space left on device").isEmpty, "the log names the cause")
        #expect(
            try await cluster.status("beta").groups.first?.peerConnected == true,
            "a full disk does not drop the connection")
        #expect(
            FileManager.default.contents(atPath: cluster.replica + "/small.txt") == Data("fits".utf8),
            "what was applied stays")

        try Self.mount(["-o", "remount,size=16m", cluster.replica])
        try await LiveMirrorTests.expectConverged(cluster, seconds: 90, "after making room")
        #expect(try await LiveMirrorTests.share(cluster, "beta").lastError == nil)
    }
}
