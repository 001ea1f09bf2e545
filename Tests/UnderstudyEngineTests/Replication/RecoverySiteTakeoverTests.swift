import Foundation
import Testing
@testable import UnderstudyControl
import UnderstudyCore
import UnderstudySupport
@testable import UnderstudyNode

/// Issue 15's disaster recovery: alpha (primary) and beta (standby) are lost together while gamma's off-site copy
/// lags behind beta; `understudy failover` on gamma takes the group over at the recovery site (its own scripts);
/// beta, back, learns the higher epoch from gamma, reconciles with it (its changes that never reached gamma become
/// conflict copies there) and follows it; alpha, back, steps down instead of serving too.
@Suite(.serialized)
struct RecoverySiteTakeoverTests {
    static func cluster(_ label: String) throws -> TestCluster {
        let gammaPort = try TestCluster.freePort()
        return try TestCluster(
            label: label,
            groupExtra: """
                offsite = "gamma"
                offsite_start = ["echo started >> @ROOT@/recovery-site.log"]
                offsite_stop = ["echo stopped >> @ROOT@/recovery-site.log"]
                """,
            shareExtra: "offsite_replica = \"@ROOT@/offsite\"",
            trailer: """
                [nodes.gamma]
                address = "127.0.0.1:\(gammaPort)"
                state_dir = "@ROOT@/gamma-state"
                """,
            moreNodes: ["gamma"])
    }

    static func failover(_ cluster: TestCluster, _ node: String, force: Bool = false) async throws -> ControlResponse {
        let client = cluster.control(node)
        return try await onThread {
            try client.send(ControlRequest.failover(group: "files", force: force), waitingUpTo: 30)
        }
    }

    /// Waits (at most `seconds`) until `node` reports `role` for the group.
    static func waitForRole(
        _ cluster: TestCluster, _ node: String, _ role: GroupRole, seconds: Double = 30
    ) async throws -> GroupRole? {
        let deadline = Date().addingTimeInterval(seconds)
        var now = try await cluster.status(node).groups.first?.role
        while now != role && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            now = try await cluster.status(node).groups.first?.role
        }
        return now
    }

    static func trees(_ left: String, _ right: String, seconds: Double = 45) async -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        var differences: [String] = []
        repeat {
            differences =
                (try? await onThread { TestTree.differences(TestTree.snapshot(left), TestTree.snapshot(right)) })
                ?? ["(could not compare)"]
            if differences.isEmpty { return [] }
            try? await Task.sleep(for: .milliseconds(200))
        } while Date() < deadline
        return differences
    }

    @Test func recoverySiteTakeover_withBothMainNodesGone_andTheirReturn_keepsOneHolderAndEveryVersion() async throws {
        let cluster = try Self.cluster("recovery-site")
        defer { Task { await cluster.remove() } }
        let offsite = cluster.root + "/offsite"
        for index in 0..<20 { TestTree.write(cluster.source, "docs/d\(index).txt", "document \(index)") }
        try cluster.start("alpha")
        try cluster.start("beta")
        try cluster.start("gamma")
        try await LiveMirrorTests.expectConverged(cluster, "the standby")
        var left = await Self.trees(cluster.source, offsite)
        #expect(left.isEmpty, "the off-site copy: \(left.prefix(3))")

        // While the main site is up and feeds it, the off-site node refuses to take over.
        let refused = try await Self.failover(cluster, "gamma")
        #expect(!refused.ok && refused.code == "peer-alive", "\(refused)")

        // The off-site link is down; the main site changes two files, which reach beta but not gamma.
        await cluster.stop("gamma")
        TestTree.write(cluster.source, "docs/d1.txt", "changed at the main site, never off-site")
        TestTree.write(cluster.source, "late.txt", "written at the main site, never off-site")
        try await LiveMirrorTests.expectConverged(cluster, "the standby, before the disaster")
        await cluster.stop("alpha")
        await cluster.stop("beta")

        // The recovery site takes over.
        try cluster.start("gamma")
        try await cluster.waitUntilListening("gamma")
        let taken = try await Self.failover(cluster, "gamma")
        #expect(taken.ok, "\(taken)")
        #expect(try await Self.waitForRole(cluster, "gamma", .primary) == .primary)
        let gammaState = try #require(try await cluster.status("gamma").groups.first)
        #expect(gammaState.role == .primary)
        let log = cluster.root + "/recovery-site.log"
        // Until the script's line is whole (the file exists a moment before its line is written), then a moment more
        // for a second run, which would be wrong.
        for _ in 0..<300 where !((try? String(contentsOfFile: log, encoding: .utf8))?.hasSuffix("\n") ?? false) {
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Task.sleep(for: .milliseconds(500))
        let started = try? String(contentsOfFile: log, encoding: .utf8)
        #expect(started == "started\n", "offsite_start ran once: \(started ?? "no log")")
        let again = try await Self.failover(cluster, "gamma")
        #expect(!again.ok && again.code == "already-holder", "\(again)")

        // The recovery site's daemon restarts: it keeps serving its tree (never following anyone), and takes the
        // service back once the dead time passed with nothing newer heard.
        await cluster.stop("gamma")
        try cluster.start("gamma")
        try await cluster.waitUntilListening("gamma")
        #expect(try await cluster.status("gamma").groups.first?.role == .primary)
        for _ in 0..<150 where (try? String(contentsOfFile: log, encoding: .utf8)) != "started\nstarted\n" {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect((try? String(contentsOfFile: log, encoding: .utf8)) == "started\nstarted\n", "offsite_start ran again")

        // Clients write at the recovery site: one file the main site changed too, one new.
        TestTree.write(offsite, "docs/d1.txt", "changed at the recovery site")
        TestTree.write(offsite, "recovery.txt", "written at the recovery site")

        // beta comes back: it cannot reach alpha, asks gamma, learns the epoch, and reconciles with gamma.
        try cluster.start("beta")
        try await cluster.waitUntilListening("beta")
        left = await Self.trees(offsite, cluster.replica, seconds: 60)
        #expect(left.isEmpty, "beta follows gamma: \(left.prefix(3)); log: \(cluster.recentLog)")
        let names = (FileManager.default.subpaths(atPath: offsite) ?? []).sorted()
        let copies = names.filter { $0.contains(ConflictName.marker + "beta") }
        #expect(copies.count == 2, "beta's two versions that never reached gamma, kept as conflict copies: \(names)")
        let kept = copies.compactMap { try? String(contentsOfFile: offsite + "/" + $0, encoding: .utf8) }.sorted()
        #expect(
            kept == ["changed at the main site, never off-site", "written at the main site, never off-site"],
            "\(kept)")
        #expect(
            (try? String(contentsOfFile: offsite + "/docs/d1.txt", encoding: .utf8)) == "changed at the recovery site",
            "the recovery site's version stays in place")
        #expect(try await cluster.status("beta").groups.first?.role == .standby)

        // alpha comes back holding its old epoch: it hears gamma's and follows instead of serving.
        try cluster.start("alpha")
        try await cluster.waitUntilListening("alpha")
        left = await Self.trees(offsite, cluster.source, seconds: 60)
        #expect(left.isEmpty, "alpha follows gamma: \(left.prefix(3)); log: \(cluster.recentLog)")
        #expect(try await cluster.status("alpha").groups.first?.role != .primary, "alpha does not serve")
        #expect(try await cluster.status("gamma").groups.first?.role == .primary, "gamma still serves")
        #expect(
            (try? String(contentsOfFile: log, encoding: .utf8)) == "started\nstarted\n", "gamma never stepped down")

        // A change at the recovery site reaches both.
        TestTree.write(offsite, "after.txt", "after both returned")
        left = await Self.trees(offsite, cluster.replica, seconds: 30)
        #expect(left.isEmpty, "beta live: \(left.prefix(3))")
    }
}
