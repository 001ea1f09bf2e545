import Foundation
import Testing
@testable import UnderstudyConsole
import UnderstudyCore
import UnderstudySupport

/// `/metrics` from a status report with every part: Prometheus's own checker accepts it, and every metric the
/// shipped alert rules and dashboard use is there.
@Suite struct NodeMetricsTests {
    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    private func report(bytesSent: Int64 = 4096) -> NodeStatusReport {
        var share = ShareStatus(name: "data", path: "/srv/replica", state: .inSync)
        share.lagSeconds = 0.25
        share.bytesSent = bytesSent
        share.bytesReceived = 10
        share.fullSyncs = 1
        share.liveSyncs = 7
        share.archive = ShareArchiveStatus(archives: 3, historyVersions: 12, historyBytes: 4096)
        var group = GroupStatus(name: "files", role: .standby, peer: "alpha", peerConnected: true, shares: [share])
        group.openConflicts = 2
        group.readiness = Readiness(
            state: .ready, line: "ready: proven 12m ago, RPO 0.4 s, RTO 2.1 s",
            lastProof: ProofRecord(
                id: "files-1", group: "files", node: "beta", startedAt: Date(timeIntervalSince1970: 1_800_000_000),
                reason: "schedule", passed: true, rpoSeconds: 0.4, rtoSeconds: 2.1))
        // A group this node serves, whose capture hit the inotify watch limit.
        var spool = ShareStatus(name: "spool", path: "/var/spool/mail", state: .inSync)
        spool.captureBackend = "inotify"
        spool.watchedDirectories = 8192
        spool.captureProblem = "inotify watch limit reached after 8192 watches"
        let mail = GroupStatus(name: "mail", role: .primary, peer: "alpha", peerConnected: true, shares: [spool])
        let failover = FailoverStatus(
            links: [
                LinkStatus(
                    peer: "alpha", link: "lan", state: "up", lastHeardAgo: 0.2, sent: 50, received: 49, refused: 1,
                    problem: nil)
            ],
            checks: [
                CheckStatus(
                    group: "files", name: "web", type: "http", target: "http://10.0.0.1/", state: "passing",
                    lastMessage: "200", lastResultAgo: 1),
                CheckStatus(
                    group: nil, name: "isolation", type: "ping", target: "10.0.0.254", state: "failing",
                    lastMessage: "no answer", lastResultAgo: 1),
            ],
            groups: [
                GroupFailoverStatus(
                    group: "files", mode: .auto, phase: .standby, phaseAgo: 9, epoch: 3, owner: "alpha",
                    peerPhase: "active", serviceAddress: "10.0.0.100/24")
            ])
        var report = NodeStatusReport(
            cluster: "shop", node: "beta", version: "1.0", startedAt: Date(timeIntervalSince1970: 1_800_000_000),
            groups: [group, mail], failover: failover)
        report.durability = DurabilityFigures(
            syncfsRequests: 40, syncfsCalls: 25, resumePointSaves: 12, resumePointCommits: 9)
        return report
    }

    @Test func everyFigureIsShown_andCountersShowTheNodesRunningTotals() {
        let metrics = NodeMetrics()
        _ = metrics.render(report(bytesSent: 4096))
        let text = String(decoding: metrics.render(report(bytesSent: 9000)), as: UTF8.self)
        #expect(text.contains("understudy_replication_sent_bytes_total{group=\"files\",share=\"data\"} 9000\n"))
        #expect(text.contains("understudy_replication_lag_seconds{group=\"files\",share=\"data\"} 0.25\n"))
        #expect(text.contains("understudy_replication_syncs_total{group=\"files\",share=\"data\",kind=\"live\"} 7\n"))
        #expect(text.contains("understudy_group_role{group=\"files\",role=\"standby\"} 1.0\n"))
        #expect(text.contains("understudy_group_epoch{group=\"files\"} 3.0\n"))
        #expect(text.contains("understudy_check_up{group=\"\",check=\"isolation\"} 0.0\n"))
        #expect(text.contains("understudy_link_packets_refused_total{peer=\"alpha\",link=\"lan\"} 1\n"))
        #expect(text.contains("understudy_conflicts_open{group=\"files\"} 2.0\n"))
        #expect(text.contains("understudy_proof_ready{group=\"files\"} 1.0\n"))
        #expect(text.contains("understudy_proof_rto_seconds{group=\"files\"} 2.1\n"))
        #expect(!text.contains("understudy_proof_ready{group=\"mail\"}"), "proofs are the standby's")
        #expect(text.contains("understudy_history_bytes{group=\"files\",share=\"data\"} 4096.0\n"))
        #expect(
            text.contains(
                "understudy_change_capture_complete{group=\"mail\",share=\"spool\",backend=\"inotify\"} 0.0\n"))
        #expect(!text.contains("understudy_change_capture_complete{group=\"files\""), "a replica captures nothing")
        #expect(text.contains("# TYPE understudy_replication_syncs_total counter\n"))
        #expect(text.contains("# HELP understudy_replication_lag_seconds "))
        #expect(text.contains("understudy_durability_requests_total{kind=\"syncfs\"} 40\n"))
        #expect(text.contains("understudy_durability_rounds_total{kind=\"syncfs\"} 25\n"))
        #expect(text.contains("understudy_durability_requests_total{kind=\"resume_point\"} 12\n"))
        #expect(text.contains("understudy_durability_rounds_total{kind=\"resume_point\"} 9\n"))
    }

    @Test func promtoolAcceptsTheMetrics_andTheShippedRulesAndDashboardNameOnlyMetricsThatExist() async throws {
        let text = String(decoding: NodeMetrics().render(report()), as: UTF8.self)
        let directory = TestTree.makeTemporaryDirectory("node-metrics")
        defer { TestTree.remove(directory) }
        try text.write(toFile: directory + "/metrics.txt", atomically: true, encoding: .utf8)
        let metrics = await ProcessRunner.run("promtool check metrics < '\(directory)/metrics.txt'", timeout: 60)
        #expect(
            metrics.succeeded, "promtool check metrics (scripts/setup installs Debian's prometheus): \(metrics.output)")
        let rules = await ProcessRunner.run(
            "promtool check rules '\(Self.repository)/docs/prometheus-alerts.yml'", timeout: 60)
        #expect(rules.succeeded, "\(rules.output)")

        let shown = Set(
            text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
                String(line.prefix { $0 != "{" && $0 != " " })
            })
        for file in ["docs/prometheus-alerts.yml", "docs/grafana-dashboard.json"] {
            let content = try String(contentsOfFile: Self.repository + "/" + file, encoding: .utf8)
            let named = Set(
                content.matches(of: /understudy_[a-z_]+/).map { String($0.output) }.filter { $0 != "understudy_" })
            #expect(!named.isEmpty)
            for name in named.sorted() {
                #expect(shown.contains(name), "\(file) uses \(name), which /metrics does not show")
            }
        }
    }
}
