import Foundation
import Testing
@testable import UnderstudyConsole
import UnderstudyCore

/// The lag gauge rests on the heartbeat, not on the last transfer: idle, it stays within a heartbeat of what a probe
/// writer measures; with the primary gone, it grows with the silence.
@Suite(.serialized) struct ConsoleLagTests {
    static let series = "understudy_replication_lag_seconds{group=\"files\",share=\"data\"}"

    @Test func theLagGauge_matchesAProbeWriter_whileIdle_andGrowsOnceThePrimaryIsGone() async throws {
        let heartbeatPort = try TestPorts.take()
        let cluster = try TestCluster(
            label: "console-lag", groupExtra: "failover = \"manual\"",
            trailer: "[heartbeat]\nport = \(heartbeatPort)\ninterval = \"200ms\"\ndead_time = \"60s\"",
            nodeExtra: [
                "alpha": "console = \"127.0.0.1:\(try TestPorts.take())\"\n[nodes.alpha.links]\nlan = \"127.0.0.1\"",
                "beta": "console = \"127.0.0.1:\(try TestPorts.take())\"\n[nodes.beta.links]\nlan = \"127.0.0.2\"",
            ])
        defer { Task { await cluster.remove() } }
        let consoles = try await ConsoleServiceTests.start(cluster)
        let beta = consoles["beta"]!
        _ = try await cluster.sync()
        func gauge() async throws -> Double {
            let text = try await beta.get("/metrics").body
            guard let value = ConsoleServiceTests.value(of: Self.series, in: text) else {
                throw ConsoleTestFailure("no \(Self.series) in /metrics:\n\(text)")
            }
            return value
        }
        func linkUp() async -> Bool {
            let text = (try? await beta.get("/metrics").body) ?? ""
            return text.contains("understudy_link_up{peer=\"alpha\",link=\"lan\"} 1")
        }
        var up = false
        for _ in 0..<100 where !up {
            up = await linkUp()
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(up, "beta hears alpha on link lan: \(cluster.recentLog)")

        // A probe writer: the time from a write on the source to its content on the replica.
        let written = Date()
        let stamp = "\(written.timeIntervalSince1970)"
        TestTree.write(cluster.source, "probe.txt", stamp)
        var arrived: Date?
        for _ in 0..<2000 where arrived == nil {
            if (try? String(contentsOfFile: cluster.replica + "/probe.txt", encoding: .utf8)) == stamp {
                arrived = Date()
            } else {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        let measured = try #require(arrived).timeIntervalSince(written)
        // Idle: nothing changes for a while; the gauge must not keep the last transfer's figure, nor grow.
        try await Task.sleep(for: .seconds(2))
        let idle = try await gauge()
        #expect(idle < 1, "idle lag \(idle) s")
        // Never above what a probe writer saw (on a loaded machine the probe's own transfer takes seconds, while the
        // replica has long been current when the gauge is read).
        #expect(idle <= measured + 0.5, "idle lag \(idle) s against the probe's \(measured) s")
        #expect(try await beta.get("/health/standby/files?max_lag=2s").status == 200)

        await cluster.stop("alpha")
        let stopped = Date()
        try await Task.sleep(for: .seconds(3))
        let silent = try await gauge()
        let expected = Date().timeIntervalSince(stopped)
        #expect(abs(silent - expected) < 1, "lag \(silent) s, \(expected) s after the primary stopped")
        #expect(try await beta.get("/health/standby/files?max_lag=2s").status == 503)
    }
}
