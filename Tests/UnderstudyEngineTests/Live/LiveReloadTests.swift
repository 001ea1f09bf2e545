#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyControl
import UnderstudyCore

/// A reload (SIGHUP) that changes what a running node takes in place ([notify], a group's bandwidth) while the mirror
/// runs: the standby never reconnects, files written all along arrive, and the new limit holds the next transfer.
@Suite(.serialized) struct LiveReloadTests {
    @Test func aReloadOfNotifyAndBandwidth_keepsTheMirrorRunning_withoutAReconnect_andTheNewLimitHolds() async throws {
        let cluster = try TestCluster(label: "reload")
        defer { Task { await cluster.remove() } }
        let original = try String(contentsOfFile: cluster.configPath, encoding: .utf8)
        let alphaLog = cluster.root + "/alpha.log"
        let betaLog = cluster.root + "/beta.log"
        let alpha = try DaemonProcess(config: cluster.configPath, node: "alpha", log: alphaLog)
        defer { alpha.terminate() }
        let beta = try DaemonProcess(config: cluster.configPath, node: "beta", log: betaLog)
        defer { beta.terminate() }
        let text = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        func arrives(_ name: String, seconds: Double = 20) async throws -> Bool {
            for _ in 0..<Int(seconds * 20) {
                if FileManager.default.fileExists(atPath: cluster.replica + "/" + name) { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return false
        }
        try "first".write(toFile: cluster.source + "/first.txt", atomically: true, encoding: .utf8)
        #expect(try await arrives("first.txt", seconds: 60), "\(text(betaLog).suffix(2000))")
        let connections = text(betaLog).components(separatedBy: "connected to alpha").count - 1
        #expect(connections == 1)

        // Files keep coming while the primary reloads: a limit of 200 KiB/s and a notification command.
        let writer = Task {
            for number in 0..<40 {
                try? "file \(number)".write(
                    toFile: cluster.source + "/during-\(number).txt", atomically: true, encoding: .utf8)
                try? await Task.sleep(for: .milliseconds(25))
            }
        }
        let changed = original.replacingOccurrences(
            of: "[groups.files]\n", with: "[groups.files]\nbandwidth = \"200KiB/s\"\n")
        #expect(changed != original)
        try (changed + "\n[notify]\n[notify.command]\ncommand = \"true\"\n").write(
            toFile: cluster.configPath, atomically: true, encoding: .utf8)
        kill(alpha.pid, SIGHUP)
        await writer.value
        for _ in 0..<200 where !text(alphaLog).contains("SIGHUP: applied") {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(
            text(alphaLog).contains("SIGHUP: applied the changes to [notify], the bandwidth of group files"),
            "\(text(alphaLog).suffix(2000))")
        #expect(
            text(alphaLog).contains("group files sends at 200.0 KiB/s from now on"), "\(text(alphaLog).suffix(2000))")
        #expect(!text(alphaLog).contains("take effect when the daemon restarts"))
        #expect(try await arrives("during-39.txt"), "\(text(betaLog).suffix(2000))")
        for number in 0..<40 {
            #expect(
                (try? String(contentsOfFile: cluster.replica + "/during-\(number).txt", encoding: .utf8))
                    == "file \(number)")
        }
        // The new limit holds: 1 MiB at 200 KiB/s takes about five seconds (a burst of up to a second's worth).
        let started = Date()
        // Random bytes: compression would send a pattern in a few frames.
        let data = Data((0..<(1 << 20)).map { _ in UInt8.random(in: 0...255) })
        try data.write(to: URL(fileURLWithPath: cluster.source + "/big.bin"))
        #expect(try await arrives("big.bin", seconds: 60))
        for _ in 0..<400 {
            let size = (try? FileManager.default.attributesOfItem(atPath: cluster.replica + "/big.bin")[.size] as? Int)
            if size == 1 << 20 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let seconds = Date().timeIntervalSince(started)
        #expect(seconds > 3, "1 MiB arrived in \(seconds) s, faster than 200 KiB/s allows")
        // Never a reconnect: the mirror went on through the reload.
        #expect(
            text(betaLog).components(separatedBy: "connected to alpha").count - 1 == 1, "\(text(betaLog).suffix(3000))")
    }
}
