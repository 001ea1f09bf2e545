import Foundation
import Testing
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudySupport
@testable import UnderstudyNode

/// `understudy seed export` and `seed import`: the off-site node's copy carried on a disk, then a cascade that sends
/// only what changed since the export.
@Suite(.serialized)
struct SeedTests {
    /// On a thread of its own: the cooperative pool's two threads run the daemons of every test.
    static func seed(_ arguments: [String], _ cluster: TestCluster) async throws -> (status: Int32, output: String) {
        let config = cluster.configPath
        return try await onThread {
            try ChildProcess.run(DaemonProcess.binary, ["seed"] + arguments + ["--config", config])
        }
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
        // Up to 2 minutes: this test often runs while the whole suite starts at once.
        try await LiveMirrorTests.expectConverged(cluster, seconds: 120, "the standby")

        let disk = cluster.root + "/usb"
        let exported = try await Self.seed(["export", "files/data", disk, "--node", "beta"], cluster)
        #expect(exported.status == 0, "\(exported.output)")
        #expect(
            exported.output.contains("exported files/data from \(cluster.replica) on beta: 201 files"),
            "\(exported.output)")
        #expect(FileManager.default.fileExists(atPath: disk + "/seed.json"))

        // Changes after the export: one file edited, one added.
        TestTree.write(cluster.source, "docs/d3/f60.bin", TestTree.randomBytes(25_000, seed: 999))
        TestTree.write(cluster.source, "after.txt", "written after the export")
        let imported = try await Self.seed(["import", "files/data", disk, "--node", "gamma"], cluster)
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

    @Test func seedOnAnotherFileSystem_isCopiedIntoPlace_withItsAttributes() async throws {
        let cluster = try OffsiteCascadeTests.cluster("seed-copy")
        let disk = "/dev/shm/understudy-seed-\(UInt32.random(in: 0...UInt32.max))"
        defer {
            try? FileManager.default.removeItem(atPath: disk)
            Task { await cluster.remove() }
        }
        for index in 0..<30 { TestTree.write(cluster.source, "d\(index % 3)/f\(index).txt", "file \(index)") }
        symlink("d0/f0.txt", cluster.source + "/link")
        chmod(cluster.source + "/d1/f1.txt", 0o600)
        #expect(try await Self.seed(["export", "files/data", disk, "--node", "alpha"], cluster).status == 0)
        let imported = try await Self.seed(["import", "files/data", disk, "--node", "gamma"], cluster)
        #expect(imported.status == 0, "\(imported.output)")
        #expect(OffsiteCascadeTests.offsiteDifferencesNow(cluster).isEmpty, "content, modes, times and the link")
        #expect(FileManager.default.fileExists(atPath: disk + "/data/d0/f0.txt"), "copied, not moved, across")
    }

    @Test func damagedSeed_isRefused_andChangesNothing() async throws {
        let cluster = try OffsiteCascadeTests.cluster("seed-bad")
        defer { Task { await cluster.remove() } }
        for index in 0..<10 { TestTree.write(cluster.source, "f\(index).txt", "file \(index)") }
        let disk = cluster.root + "/usb"
        #expect(try await Self.seed(["export", "files/data", disk, "--node", "alpha"], cluster).status == 0)
        TestTree.write(disk + "/data", "f3.txt", "bit rot")
        let refused = try await Self.seed(["import", "files/data", disk, "--node", "gamma"], cluster)
        #expect(refused.status != 0)
        #expect(
            refused.output.contains("is damaged: 1 entries differ from its manifest (\"f3.txt\")"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: cluster.root + "/offsite"), "nothing was put in place")

        let wrongShare = try await Self.seed(["import", "files/nope", disk, "--node", "gamma"], cluster)
        #expect(
            wrongShare.output.contains("group 'files' has no share 'nope'; its shares: data"), "\(wrongShare.output)")
        let onPrimary = try await Self.seed(["import", "files/data", disk, "--node", "alpha"], cluster)
        #expect(onPrimary.output.contains("alpha is the primary of files"), "\(onPrimary.output)")
        let notEmpty = try await Self.seed(["export", "files/data", disk, "--node", "alpha"], cluster)
        #expect(notEmpty.output.contains("exists and is not an empty directory"), "\(notEmpty.output)")
    }

    /// A manifest edited to name paths outside the share (`..`, absolute) is refused before anything is read or
    /// written through it.
    @Test func hostileSeedManifest_namingPathsOutsideTheShare_isRefused_andWritesNothing() async throws {
        let cluster = try OffsiteCascadeTests.cluster("seed-hostile")
        defer { Task { await cluster.remove() } }
        for index in 0..<5 { TestTree.write(cluster.source, "f\(index).txt", "file \(index)") }
        let disk = cluster.root + "/usb"
        #expect(try await Self.seed(["export", "files/data", disk, "--node", "alpha"], cluster).status == 0)
        let manifestPath = disk + "/seed.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: manifestPath))
        for hostile in ["../escape.txt", "/tmp/understudy-seed-escape.txt", "a/../../escape.txt"] {
            var json = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
            var items = try #require(json["items"] as? [[String: Any]])
            let index = try #require(items.firstIndex { $0["kind"] as? String == "file" })
            items[index]["path"] = hostile
            json["items"] = items
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: manifestPath))
            let refused = try await Self.seed(["import", "files/data", disk, "--node", "gamma"], cluster)
            #expect(refused.status != 0, "\(hostile): \(refused.output)")
            #expect(refused.output.contains("not a path inside a share"), "\(hostile): \(refused.output)")
            #expect(!FileManager.default.fileExists(atPath: cluster.root + "/offsite"), "nothing was put in place")
            #expect(!FileManager.default.fileExists(atPath: cluster.root + "/escape.txt"))
            #expect(!FileManager.default.fileExists(atPath: "/tmp/understudy-seed-escape.txt"))
        }
    }

    @Test func seedImport_whileTheNodesDaemonRuns_isRefused() async throws {
        let cluster = try OffsiteCascadeTests.cluster("seed-running")
        defer { Task { await cluster.remove() } }
        TestTree.write(cluster.source, "a.txt", "a")
        let disk = cluster.root + "/usb"
        #expect(try await Self.seed(["export", "files/data", disk, "--node", "alpha"], cluster).status == 0)
        let daemon = try DaemonProcess(config: cluster.configPath, node: "gamma", log: cluster.root + "/gamma.log")
        defer { daemon.kill9() }
        let socket = cluster.configuration.nodes["gamma"]!.controlSocket
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: socket) {
            try await Task.sleep(for: .milliseconds(100))
        }
        let refused = try await Self.seed(["import", "files/data", disk, "--node", "gamma"], cluster)
        #expect(refused.status != 0)
        #expect(refused.output.contains("node gamma's daemon is already running"), "\(refused.output)")
        #expect(FileManager.default.fileExists(atPath: disk + "/data/a.txt"), "the seed is left as it was")
    }
}

/// A large file on its way to the off-site node, cut off by a crash of that node, resumes where it stopped.
@Suite(.serialized)
struct OffsiteResumeTests {
    @Test func largeFileCutOffOnTheWayToTheOffsiteNode_resumesWhereItStopped() async throws {
        let gammaPort = try TestCluster.freePort()
        let cluster = try TestCluster(
            label: "offsite-resume", groupExtra: "offsite = \"gamma\"\noffsite_bandwidth = \"8MB/s\"",
            shareExtra: "offsite_replica = \"@ROOT@/offsite\"",
            trailer: """
                [nodes.gamma]
                address = "127.0.0.1:\(gammaPort)"
                state_dir = "@ROOT@/gamma-state"
                """,
            moreNodes: ["gamma"])
        defer { Task { await cluster.remove() } }
        let size = 40 << 20
        TestTree.writeRandomFile(cluster.source, "big.bin", size: size)
        try cluster.start("alpha")
        try cluster.start("beta")
        try await LiveMirrorTests.expectConverged(cluster, seconds: 60, "the standby")

        // What gamma has of big.bin: the file, or the partial copy it keeps while receiving.
        let offsite = cluster.root + "/offsite"
        let arrived: @Sendable () -> Int = {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: offsite)) ?? []
            return names.filter { $0.hasSuffix("big.bin") }.map {
                (try? FileManager.default.attributesOfItem(atPath: offsite + "/" + $0)[.size] as? Int) ?? 0
            }.max() ?? 0
        }
        let first = try DaemonProcess(config: cluster.configPath, node: "gamma", log: cluster.root + "/gamma.log")
        let deadline = Date().addingTimeInterval(60)
        while arrived() < size / 2 && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        first.kill9()
        let progress = arrived()
        #expect(progress >= size / 2 && progress < size, "cut off part-way: \(progress) of \(size) bytes")
        let sentBefore = try await cluster.status("beta").groups.first?.offsiteHop?.shares.first?.bytesSent ?? 0

        let second = try DaemonProcess(config: cluster.configPath, node: "gamma", log: cluster.root + "/gamma.log")
        defer { second.terminate() }
        #expect(await OffsiteCascadeTests.waitForOffsite(cluster, seconds: 60).isEmpty)
        let sentAfter = try await cluster.status("beta").groups.first?.offsiteHop?.shares.first?.bytesSent ?? 0
        let resent = sentAfter - sentBefore
        #expect(
            resent < Int64(size - progress + (4 << 20)),
            "after the restart \(resent) bytes went to gamma; \(size - progress) were missing, the file is \(size)")
    }
}
