import Foundation
import Testing
import UnderstudyCore
import UnderstudyFileSystem
@testable import UnderstudyNode

/// `understudy seed export` and `seed import`: the off-site node's copy carried on a disk, then a cascade that sends
/// only what changed since the export.
@Suite(.serialized)
struct SeedTests {
    static func seed(_ arguments: [String], _ cluster: TestCluster) throws -> (status: Int32, output: String) {
        try ChildProcess.run(DaemonProcess.binary, ["seed"] + arguments + ["--config", cluster.configPath])
    }

    @Test func seedExportedOnTheStandby_andImportedOffsite_leavesTheCascadeLessThanOnePercentToSend() async throws {
        let cluster = try OffsiteCascadeTests.cluster("seed")
        defer { Task { await cluster.remove() } }
        for index in 0..<200 {
            TestTree.write(
                cluster.source, "docs/d\(index / 20)/f\(index).bin", TestTree.randomBytes(25_000, seed: UInt64(index)))
        }
        TestTree.write(cluster.source, "link-target.txt", "x")
        symlink("link-target.txt", cluster.source + "/a-link")
        try cluster.start("alpha")
        try cluster.start("beta")
        try await LiveMirrorTests.expectConverged(cluster, "the standby")

        let disk = cluster.root + "/usb"
        let exported = try Self.seed(["export", "files/data", disk, "--node", "beta"], cluster)
        #expect(exported.status == 0, "\(exported.output)")
        #expect(
            exported.output.contains("exported files/data from \(cluster.replica) on beta: 201 files"),
            "\(exported.output)")
        #expect(FileManager.default.fileExists(atPath: disk + "/seed.json"))

        // Changes after the export: one file edited, one added.
        TestTree.write(cluster.source, "docs/d3/f60.bin", TestTree.randomBytes(25_000, seed: 999))
        TestTree.write(cluster.source, "after.txt", "written after the export")
        let imported = try Self.seed(["import", "files/data", disk, "--node", "gamma"], cluster)
        #expect(imported.status == 0, "\(imported.output)")
        #expect(imported.output.contains("imported files/data into \(cluster.root)/offsite on gamma: 201 files"))

        try cluster.start("gamma")
        #expect(await OffsiteCascadeTests.waitForOffsite(cluster).isEmpty, "log: \(cluster.recentLog)")
        let (_, share) = try await OffsiteCascadeTests.offsiteShare(cluster)
        let shareBytes: Int64 = 200 * 25_000
        print("seeded off-site copy: \(share.bytesReceived) bytes received for a share of \(shareBytes)")
        #expect(share.bytesReceived < shareBytes / 100, "the cascade sends only what changed: \(share.bytesReceived)")
        #expect(share.lastError == nil)
    }

    @Test func damagedSeed_isRefused_andChangesNothing() async throws {
        let cluster = try OffsiteCascadeTests.cluster("seed-bad")
        defer { Task { await cluster.remove() } }
        for index in 0..<10 { TestTree.write(cluster.source, "f\(index).txt", "file \(index)") }
        let disk = cluster.root + "/usb"
        #expect(try Self.seed(["export", "files/data", disk, "--node", "alpha"], cluster).status == 0)
        TestTree.write(disk + "/data", "f3.txt", "bit rot")
        let refused = try Self.seed(["import", "files/data", disk, "--node", "gamma"], cluster)
        #expect(refused.status != 0)
        #expect(
            refused.output.contains("is damaged: 1 entries differ from its manifest (\"f3.txt\")"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: cluster.root + "/offsite"), "nothing was put in place")

        let wrongShare = try Self.seed(["import", "files/nope", disk, "--node", "gamma"], cluster)
        #expect(
            wrongShare.output.contains("group 'files' has no share 'nope'; its shares: data"), "\(wrongShare.output)")
        let onPrimary = try Self.seed(["import", "files/data", disk, "--node", "alpha"], cluster)
        #expect(onPrimary.output.contains("alpha is the primary of files"), "\(onPrimary.output)")
        let notEmpty = try Self.seed(["export", "files/data", disk, "--node", "alpha"], cluster)
        #expect(notEmpty.output.contains("exists and is not an empty directory"), "\(notEmpty.output)")
    }

    @Test func seedImport_whileTheNodesDaemonRuns_isRefused() async throws {
        let cluster = try OffsiteCascadeTests.cluster("seed-running")
        defer { Task { await cluster.remove() } }
        TestTree.write(cluster.source, "a.txt", "a")
        let disk = cluster.root + "/usb"
        #expect(try Self.seed(["export", "files/data", disk, "--node", "alpha"], cluster).status == 0)
        let daemon = try DaemonProcess(config: cluster.configPath, node: "gamma", log: cluster.root + "/gamma.log")
        defer { daemon.kill9() }
        let socket = cluster.configuration.nodes["gamma"]!.controlSocket
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: socket) {
            try await Task.sleep(for: .milliseconds(100))
        }
        let refused = try Self.seed(["import", "files/data", disk, "--node", "gamma"], cluster)
        #expect(refused.status != 0)
        #expect(refused.output.contains("node gamma's daemon is already running"), "\(refused.output)")
        #expect(FileManager.default.fileExists(atPath: disk + "/data/a.txt"), "the seed is left as it was")
    }
}
