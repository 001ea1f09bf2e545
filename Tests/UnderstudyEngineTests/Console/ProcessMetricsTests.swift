import Foundation
import Testing
import UnderstudyControl
import UnderstudyCore
import UnderstudySupport

/// What the engine reports as it happens reaches `/metrics` of a real `understudy run`: the sync durations as a
/// Prometheus histogram beside the status figures, and promtool accepts the whole.
@Suite(.serialized) struct ProcessMetricsTests {
    @Test func aRealDaemon_showsItsSyncDurations_asAHistogram() async throws {
        let betaConsole = try TestPorts.take()
        let cluster = try TestCluster(
            label: "process-metrics",
            nodeExtra: [
                "alpha": "console = \"127.0.0.1:\(try TestPorts.take())\"",
                "beta": "console = \"127.0.0.1:\(betaConsole)\"",
            ])
        defer { Task { await cluster.remove() } }
        TestTree.writeRandomFile(cluster.source, "a.bin", size: 50_000)
        let alpha = try DaemonProcess(config: cluster.configPath, node: "alpha", log: cluster.root + "/alpha.log")
        let beta = try DaemonProcess(config: cluster.configPath, node: "beta", log: cluster.root + "/beta.log")
        defer {
            alpha.terminate()
            beta.terminate()
        }
        let console = ConsoleServiceTests.Console(
            port: betaConsole, caFile: cluster.configuration.certificatesDirectory + "/ca.pem")
        var live = false
        for _ in 0..<300 where !live {
            live = (try? await console.get("/health/live").status) == 200
            if !live { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(live, "beta's console answers")
        let synced = try await cluster.sync()
        #expect(synced.ok, "\(synced)")
        let text = try await console.get("/metrics").body
        #expect(text.contains("# TYPE understudy_replication_sync_duration_seconds histogram"), "\(text.prefix(3000))")
        #expect(
            text.contains(
                "understudy_replication_sync_duration_seconds_count{group=\"files\",share=\"data\",kind=\"full\"}"))
        #expect(text.contains("understudy_replication_lag_seconds{group=\"files\",share=\"data\"}"))
        let file = cluster.root + "/metrics.txt"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let promtool = await ProcessRunner.run("promtool check metrics < '\(file)'", timeout: 60)
        #expect(promtool.succeeded, "\(promtool.output)")
    }
}
