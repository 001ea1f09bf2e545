import Foundation
import NIOCore
import Testing
import UnderstudyCore
import UnderstudySupport
import UnderstudyWire
@testable import UnderstudyNode

/// Issue 15's cascade: alpha (primary) → beta (standby) → gamma (off-site). The primary is read once: gamma follows
/// beta, whose relay journal (kept on disk) tells gamma's syncs what changed.
@Suite(.serialized)
struct OffsiteCascadeTests {
    static func cluster(_ label: String) throws -> TestCluster {
        let gammaPort = try TestCluster.freePort()
        return try TestCluster(
            label: label, groupExtra: "offsite = \"gamma\"", shareExtra: "offsite_replica = \"@ROOT@/offsite\"",
            trailer: """
                [nodes.gamma]
                address = "127.0.0.1:\(gammaPort)"
                state_dir = "@ROOT@/gamma-state"
                """,
            moreNodes: ["gamma"])
    }

    /// The differences now, on the calling thread (a test's own synchronous step).
    static func offsiteDifferencesNow(_ cluster: TestCluster) -> [String] {
        TestTree.differences(TestTree.snapshot(cluster.source), TestTree.snapshot(cluster.root + "/offsite"))
    }

    /// Hashed on a thread of its own: the trees may hold tens of MB, and the cooperative pool's two threads are
    /// every test's.
    static func offsiteDifferences(_ cluster: TestCluster) async -> [String] {
        let (source, offsite) = (cluster.source, cluster.root + "/offsite")
        return
            (try? await onThread {
                TestTree.differences(TestTree.snapshot(source), TestTree.snapshot(offsite))
            }) ?? ["(could not compare)"]
    }

    static func waitForOffsite(_ cluster: TestCluster, seconds: Double = 45) async -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        var left = await offsiteDifferences(cluster)
        while !left.isEmpty && Date() < deadline {
            try? await Task.sleep(for: .milliseconds(100))
            left = await offsiteDifferences(cluster)
        }
        return left
    }

    /// The standby's hop to the off-site node once its journal is empty (at most 30 s): the last acknowledgements
    /// come a moment after the copy is whole (the standby records what it applied once durable, and the off-site
    /// node then confirms it has it).
    static func settledHop(_ cluster: TestCluster) async throws -> ShareStatus {
        var hop = try #require(try await cluster.status("beta").groups.first?.offsiteHop?.shares.first)
        for _ in 0..<300 where hop.changesPending > 0 {
            try await Task.sleep(for: .milliseconds(100))
            hop = try #require(try await cluster.status("beta").groups.first?.offsiteHop?.shares.first)
        }
        return hop
    }

    static func offsiteShare(_ cluster: TestCluster) async throws -> (GroupStatus, ShareStatus) {
        let group = try #require(try await cluster.status("gamma").groups.first)
        return (group, try #require(group.shares.first))
    }

    @Test func changesOnThePrimary_reachTheOffsiteNode_throughTheStandby() async throws {
        let cluster = try Self.cluster("cascade")
        defer { Task { await cluster.remove() } }
        for index in 0..<50 { TestTree.write(cluster.source, "docs/d\(index).txt", "document \(index)") }
        TestTree.write(cluster.source, "big.bin", TestTree.randomBytes(2_000_000, seed: 11))
        try cluster.start("alpha")
        try cluster.start("beta")
        try cluster.start("gamma")
        try await LiveMirrorTests.expectConverged(cluster, "the standby")
        var left = await Self.waitForOffsite(cluster)
        #expect(left.isEmpty, "the off-site copy: \(left.prefix(3)); log: \(cluster.recentLog)")

        TestTree.write(cluster.source, "docs/d7.txt", "changed on the primary")
        try FileManager.default.removeItem(atPath: cluster.source + "/docs/d8.txt")
        try FileManager.default.moveItem(atPath: cluster.source + "/docs/d9.txt", toPath: cluster.source + "/moved.txt")
        left = await Self.waitForOffsite(cluster, seconds: 20)
        #expect(left.isEmpty, "live changes reach the off-site copy: \(left.prefix(3)); log: \(cluster.recentLog)")

        let (group, share) = try await Self.offsiteShare(cluster)
        #expect(group.role == .offsite)
        #expect(group.peer == "beta", "fed by the standby")
        #expect(group.peerConnected)
        #expect(share.liveSyncs > 0, "the off-site node follows live, from the standby's relay journal")
        #expect(
            try await cluster.status("alpha").groups.first?.peer == "beta", "the primary serves the standby alone")
        // The standby shows the hop it feeds, apart from its own figures of the share.
        _ = try await Self.settledHop(cluster)
        let standby = try #require(try await cluster.status("beta").groups.first)
        let hop = try #require(standby.offsiteHop)
        #expect(hop.node == "gamma" && hop.connected)
        #expect(hop.shares.first?.lastSyncAt != nil)
        #expect((hop.shares.first?.bytesSent ?? 0) > 2_000_000, "what went to gamma")
        #expect(hop.shares.first?.changesPending == 0)
        #expect(standby.role == .standby)
        #expect(standby.shares.first?.bytesSent == 0, "the standby's own share sends nothing")
        // On threads of their own: the daemons that answer are in this process, on the cooperative pool.
        let config = cluster.configPath
        let table = try await onThread {
            try ChildProcess.run(DaemonProcess.binary, ["status", "--config", config, "--node", "beta"])
        }
        #expect(table.output.contains("off-site hops (this node feeds them):"), "\(table.output)")
        #expect(table.output.contains("gamma (connected)"), "\(table.output)")
        let offsiteTable = try await onThread {
            try ChildProcess.run(DaemonProcess.binary, ["status", "--config", config, "--node", "gamma"])
        }
        #expect(offsiteTable.output.contains("offsite"), "\(offsiteTable.output)")
        #expect((standby.shares.first?.bytesReceived ?? 0) > 2_000_000)
    }

    @Test func smallFilesOfOneKind_travelToTheOffsiteNode_compressedWithADictionaryTrainedOnTheShare() async throws {
        let cluster = try Self.cluster("cascade-dictionary")
        defer { Task { await cluster.remove() } }
        for index in 0..<300 { TestTree.write(cluster.source, "etc/f\(index).conf", ZstdDictionaryTests.sample(index)) }
        try cluster.start("alpha")
        try cluster.start("beta")
        // The off-site node comes once the standby's replica is complete: its first sync then asks for a training
        // on all 300 files (with a replica still filling, the training waits for syncs after it has filled).
        try await LiveMirrorTests.expectConverged(cluster, "the standby")
        try cluster.start("gamma")
        var left = await Self.waitForOffsite(cluster)
        #expect(left.isEmpty, "the off-site copy: \(left.prefix(3)); log: \(cluster.recentLog)")
        // Trained in the background after the hop's first sync.
        let trained = await cluster.logs.waitFor("compressed with a dictionary", seconds: 30)
        #expect(!trained.isEmpty, "no dictionary trained: \(cluster.recentLog)")
        let before = try await Self.settledHop(cluster).bytesSent

        // New files of the same kind. Without a dictionary each would travel as its header, its content compressed
        // alone (one chunk) and its end.
        var alone = 0
        for index in 1000..<1300 {
            let content = ZstdDictionaryTests.sample(index)
            let path = "etc/new\(index).conf"
            var frames = ByteBuffer()
            let attributes = FileAttributes(mode: 0o644, uid: 0, gid: 0, mtimeSeconds: 1, mtimeNanoseconds: 1)
            let compressed = try ZstdDictionaryTests.compress(content, with: nil)
            for message in [
                PeerMessage.fileBegin(
                    FileHeader(path: path, size: Int64(content.count), attributes: attributes, basis: .none)),
                .fileChunk(ByteBuffer(bytes: compressed)), .fileEnd(contentHash: Array(repeating: 0, count: 32)),
            ] { PeerFrameCodec.encode(message, into: &frames) }
            alone += frames.readableBytes
            TestTree.write(cluster.source, path, content)
        }
        left = await Self.waitForOffsite(cluster, seconds: 30)
        #expect(left.isEmpty, "the new files reach the off-site copy: \(left.prefix(3)); log: \(cluster.recentLog)")
        let sent = try await Self.settledHop(cluster).bytesSent - before
        // The dictionary itself included, a fifth less (300 files of about 900 bytes: 31 % less when measured).
        #expect(
            Double(sent) < 0.8 * Double(alone),
            "\(sent) bytes sent for files that travel as \(alone) bytes compressed one by one")
    }

    @Test func standbyRestart_resumesTheOffsiteCopy_fromItsJournal_resendingNothing() async throws {
        let cluster = try Self.cluster("cascade-restart")
        defer { Task { await cluster.remove() } }
        for index in 0..<40 {
            TestTree.write(cluster.source, "data/f\(index).bin", TestTree.randomBytes(50_000, seed: UInt64(index)))
        }
        try cluster.start("alpha")
        try cluster.start("beta")
        try cluster.start("gamma")
        try await LiveMirrorTests.expectConverged(cluster, "the standby")
        #expect(await Self.waitForOffsite(cluster).isEmpty, "the first off-site copy; log: \(cluster.recentLog)")

        // The off-site node is away while changes arrive on the standby; then the standby restarts.
        let receivedBefore = try await Self.offsiteShare(cluster).1.bytesReceived
        await cluster.stop("gamma")
        for index in 0..<3 { TestTree.write(cluster.source, "new/n\(index).txt", "new \(index)") }
        TestTree.write(cluster.source, "data/f5.bin", TestTree.randomBytes(50_000, seed: 99))
        try await LiveMirrorTests.expectConverged(cluster, "the standby, meanwhile")
        let waiting = try #require(try await cluster.status("beta").groups.first?.offsiteHop)
        #expect(!waiting.connected)
        #expect((waiting.shares.first?.changesPending ?? 0) >= 4, "\(waiting)")
        #expect((waiting.shares.first?.bytesBehind ?? 0) >= 50_000, "\(waiting)")
        #expect((waiting.shares.first?.lagSeconds ?? 0) > 0, "\(waiting)")
        await cluster.stop("beta")
        try cluster.start("beta")
        try await cluster.waitUntilListening("beta")
        try cluster.start("gamma")
        #expect(await Self.waitForOffsite(cluster).isEmpty, "the off-site copy catches up; log: \(cluster.recentLog)")
        let (_, share) = try await Self.offsiteShare(cluster)
        #expect(share.fullSyncs == 0, "no comparison of the whole share: the journal said what changed")
        #expect(share.liveSyncs >= 1)
        // What changed: three small files and one of 50 kB; the 39 other files of 50 kB are not sent again.
        let received = share.bytesReceived - receivedBefore
        #expect(received < 200_000, "received \(received) bytes")
    }

    /// Changes come twice as fast as the hop to the off-site node may carry them: the relay journal absorbs them, one
    /// entry per path however often it changed, the lag grows and then comes back, and nothing is compared whole or
    /// sent twice.
    @Test func changeRateAboveTheOffsiteLinksRate_isAbsorbedByTheJournal_andCaughtUp() async throws {
        let gammaPort = try TestCluster.freePort()
        let cluster = try TestCluster(
            label: "cascade-peak",
            groupExtra: "offsite = \"gamma\"\noffsite_bandwidth = \"200KB/s\"",
            shareExtra: "offsite_replica = \"@ROOT@/offsite\"",
            trailer: """
                [nodes.gamma]
                address = "127.0.0.1:\(gammaPort)"
                state_dir = "@ROOT@/gamma-state"
                """,
            moreNodes: ["gamma"])
        defer { Task { await cluster.remove() } }
        try cluster.start("alpha")
        try cluster.start("beta")
        try cluster.start("gamma")
        TestTree.write(cluster.source, "seed.txt", "first")
        #expect(await Self.waitForOffsite(cluster).isEmpty, "log: \(cluster.recentLog)")

        // 400 kB/s for 12 s (twice the hop's 200 kB/s), rewriting 20 files of 40 kB again and again.
        var written = 0
        var peak: Double = 0
        let started = Date()
        var round = 0
        while Date().timeIntervalSince(started) < 12 {
            for index in 0..<10 {
                let file = (round * 10 + index) % 20
                TestTree.write(
                    cluster.source, "hot/f\(file).bin", TestTree.randomBytes(40_000, seed: UInt64(round * 100 + index)))
                written += 40_000
            }
            round += 1
            if let hop = try await cluster.status("beta").groups.first?.offsiteHop?.shares.first {
                peak = max(peak, hop.lagSeconds)
            }
            try await Task.sleep(for: .milliseconds(1000))
        }
        try await LiveMirrorTests.expectConverged(cluster, seconds: 30, "the standby keeps up")
        let left = await Self.waitForOffsite(cluster, seconds: 60)
        #expect(left.isEmpty, "the off-site copy catches up after the peak: \(left.prefix(3)); \(cluster.recentLog)")
        let hop = try await Self.settledHop(cluster)
        let (_, offsite) = try await Self.offsiteShare(cluster)
        print(
            "peak: \(written) bytes written in 12 s, \(hop.bytesSent) sent to the off-site node, its lag peaked at \(String(format: "%.1f", peak)) s"
        )
        #expect(peak > 1, "the hop fell behind during the peak (lag \(peak) s)")
        #expect(hop.changesPending == 0 && hop.lagSeconds < 5, "and caught up: \(hop)")
        #expect(offsite.fullSyncs == 1, "one full comparison, the first; none since: \(offsite.fullSyncs)")
        #expect(hop.bytesSent < Int64(written), "a file rewritten many times went once per sync: \(hop.bytesSent)")
    }

    /// The standby gone: the off-site node follows the primary meanwhile (the chain re-forms by itself), and goes
    /// back to the standby once it answers again.
    @Test func standbyOutOfReach_theOffsiteNodeFollowsThePrimary_untilTheStandbyIsBack() async throws {
        let cluster = try Self.cluster("cascade-fallback")
        defer { Task { await cluster.remove() } }
        for index in 0..<20 { TestTree.write(cluster.source, "f\(index).txt", "file \(index)") }
        try cluster.start("alpha")
        try cluster.start("beta")
        try cluster.start("gamma")
        #expect(await Self.waitForOffsite(cluster).isEmpty, "log: \(cluster.recentLog)")

        await cluster.stop("beta")
        TestTree.write(cluster.source, "while-beta-is-away.txt", "through the primary")
        TestTree.write(cluster.source, "f3.txt", "changed while beta is away")
        #expect(
            await Self.waitForOffsite(cluster, seconds: 60).isEmpty,
            "the off-site copy follows the primary: \(cluster.recentLog)")
        #expect(try await Self.offsiteShare(cluster).0.peer == "alpha")
        #expect(
            !(await cluster.logs.waitFor("the off-site copy follows alpha meanwhile")).isEmpty, "and says so")

        try cluster.start("beta")
        var back = false
        for _ in 0..<900 where !back {
            try await Task.sleep(for: .milliseconds(100))
            let group = try await Self.offsiteShare(cluster).0
            back = group.peer == "beta" && group.peerConnected
        }
        #expect(back, "the off-site node goes back to the standby: \(cluster.recentLog)")
        TestTree.write(cluster.source, "after.txt", "through the standby again")
        #expect(await Self.waitForOffsite(cluster, seconds: 30).isEmpty)
    }
}
