#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyControl
import UnderstudyCore
import UnderstudySupport

/// A reload (SIGHUP) that changes what a running node takes in place ([notify], a group's bandwidth) while the mirror
/// runs: the standby never reconnects, files written all along arrive, and the new limit holds the next transfer.
@Suite(.serialized) struct LiveReloadTests {
    @Test func aReloadOfNotifyAndBandwidth_keepsTheMirrorRunning_withoutAReconnect_andTheNewLimitHolds() async throws {
        let cluster = try TestCluster(label: "reload")
        defer { Task { await cluster.remove() } }
        let original = try String(contentsOfFile: cluster.configPath, encoding: .utf8)
        let pair = try DaemonPair(cluster)
        defer { pair.terminate() }
        let (alpha, alphaLog, betaLog) = (pair.alpha, pair.alphaLog, pair.betaLog)
        let text = DaemonPair.text
        let arrives = pair.arrives
        try "first".write(toFile: cluster.source + "/first.txt", atomically: true, encoding: .utf8)
        #expect(try await arrives("first.txt", 60), "\(text(betaLog).suffix(2000))")
        #expect(pair.connections == 1)

        // Files keep coming while the primary reloads: a limit of 200 KiB/s and a notification command.
        let writer = DaemonPair.writeSteadily(into: cluster.source, count: 40, text: "file")
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
        #expect(try await arrives("during-39.txt", 20), "\(text(betaLog).suffix(2000))")
        #expect(DaemonPair.missing(in: cluster.replica, count: 40, text: "file") == [])
        // The new limit holds: 1 MiB at 200 KiB/s takes about five seconds (a burst of up to a second's worth).
        let started = Date()
        // Random bytes: compression would send a pattern in a few frames.
        let data = Data((0..<(1 << 20)).map { _ in UInt8.random(in: 0...255) })
        try data.write(to: URL(fileURLWithPath: cluster.source + "/big.bin"))
        #expect(try await arrives("big.bin", 60))
        for _ in 0..<400 {
            let size = (try? FileManager.default.attributesOfItem(atPath: cluster.replica + "/big.bin")[.size] as? Int)
            if size == 1 << 20 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let seconds = Date().timeIntervalSince(started)
        #expect(seconds > 3, "1 MiB arrived in \(seconds) s, faster than 200 KiB/s allows")
        // Never a reconnect: the mirror went on through the reload.
        #expect(pair.connections == 1, "\(text(betaLog).suffix(3000))")
    }

    /// Patterns, checks, archive schedules and intervals of a running group, changed by `understudy reload` on both
    /// nodes while files keep coming: the standby never reconnects, every file written all along arrives, what the
    /// new patterns include is sent (and what they exclude is not), the new check runs, and the new schedule takes
    /// its first archive.
    @Test func aReloadOfPatternsChecksSchedulesAndIntervals_takesEachInPlace_withoutAReconnect() async throws {
        let heartbeatPort = try TestPorts.take()
        let cluster = try TestCluster(
            label: "reload-parts", exclude: ["*.skip"],
            trailer: "[heartbeat]\nport = \(heartbeatPort)\ninterval = \"200ms\"\ndead_time = \"30s\"",
            nodeExtra: [
                "alpha": "[nodes.alpha.links]\nlan = \"127.0.0.1\"", "beta": "[nodes.beta.links]\nlan = \"127.0.0.2\"",
            ])
        defer { Task { await cluster.remove() } }
        let original = try String(contentsOfFile: cluster.configPath, encoding: .utf8)
        let pair = try DaemonPair(cluster)
        defer { pair.terminate() }
        let (alphaLog, betaLog) = (pair.alphaLog, pair.betaLog)
        let text = DaemonPair.text
        let exists = { (name: String) in FileManager.default.fileExists(atPath: cluster.replica + "/" + name) }
        let arrives = pair.arrives
        try "early".write(toFile: cluster.source + "/early.skip", atomically: true, encoding: .utf8)
        try "first".write(toFile: cluster.source + "/first.txt", atomically: true, encoding: .utf8)
        #expect(try await arrives("first.txt", 60), "\(text(betaLog).suffix(2000))")
        #expect(!exists("early.skip"), "excluded by the running patterns")
        #expect(pair.connections == 1)

        let writer = DaemonPair.writeSteadily(into: cluster.source, count: 40, text: "file")
        // The service the new check watches: a port the kernel answers.
        let service = try ReservedPort(listening: true)
        defer { service.release() }
        let serviceAddress = "127.0.0.1:\(service.port)"
        let changed =
            original.replacingOccurrences(of: "exclude = [\"*.skip\"]", with: "exclude = [\"*.tmp\"]")
            .replacingOccurrences(of: "resync_interval = \"1h\"", with: "resync_interval = \"30m\"")
                + """

                [[groups.files.checks]]
                name = "service"
                type = "tcp"
                target = "\(serviceAddress)"

                [[groups.files.archives]]
                share = "data"
                every = "hourly"
                keep = 2

                """
        #expect(changed.contains("*.tmp") && changed.contains("30m"))
        try changed.write(toFile: cluster.configPath, atomically: true, encoding: .utf8)
        let expected =
            "applied the changes to the checks of group files, the archive schedules of group files, the patterns of share files/data, the resync and verify intervals of group files"
        for node in ["alpha", "beta"] {
            let (status, output) = try ChildProcess.run(
                DaemonProcess.binary, ["reload", "--config", cluster.configPath, "--node", node])
            #expect(status == 0, "\(output)")
            #expect(output == "node \(node): \(expected)\n", "\(output)")
        }
        await writer.value
        try "later".write(toFile: cluster.source + "/later.skip", atomically: true, encoding: .utf8)
        try "scratch".write(toFile: cluster.source + "/later.tmp", atomically: true, encoding: .utf8)
        try "last".write(toFile: cluster.source + "/last.txt", atomically: true, encoding: .utf8)
        // What the new patterns include arrives: the file written before (the capture restarted with them and
        // compared the whole tree) and the one written after.
        #expect(try await arrives("early.skip", 30), "\(text(alphaLog).suffix(2000))")
        #expect(try await arrives("later.skip", 30), "\(text(alphaLog).suffix(2000))")
        #expect(try await arrives("last.txt", 30))
        #expect(!exists("later.tmp"), "excluded by the new patterns")
        #expect(DaemonPair.missing(in: cluster.replica, count: 40, text: "file") == [])
        // The new check runs and passes; the new schedule took an archive.
        let client = cluster.control("beta")
        var checks: [CheckStatus] = []
        var archives: [ArchiveInfo] = []
        for _ in 0..<300 {
            let status = try await onThread { try client.send(ControlRequest.status, waitingUpTo: 30) }
            checks = status.status?.failover?.checks ?? []
            let listed = try await onThread {
                try client.send(ControlRequest.archives(group: "files", share: "data"), waitingUpTo: 30)
            }
            archives = listed.archives ?? []
            if checks.first?.state == "passing" && archives.contains(where: { $0.state == .complete }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(checks.map(\.name) == ["service"], "\(checks)")
        #expect(checks.first?.state == "passing", "\(checks)")
        #expect(archives.contains { $0.series == "hourly" && $0.state == .complete }, "\(archives)")
        // Never a reconnect: the mirror went on through both reloads.
        #expect(pair.connections == 1, "\(text(betaLog).suffix(3000))")
        #expect(text(betaLog).contains("checks now service (tcp \(serviceAddress))"), "\(text(betaLog).suffix(3000))")
    }

    /// A share added to a running group, then removed, then added again, by `understudy reload` on both nodes: the new
    /// share is mirrored (what it held before, and what comes after), the removed one no longer is and leaves the
    /// status, and another group of the same nodes keeps mirroring through the reloads on the connection it had.
    @Test func aShareAddedRemovedAndAddedAgain_isMirroredLetGoAndMirroredAgain_andAnotherGroupNeverReconnects()
        async throws
    {
        let cluster = try TestCluster(
            label: "reload-shares",
            trailer: """
                [groups.other]
                primary = "alpha"
                standby = "beta"
                [[groups.other.shares]]
                name = "notes"
                source = "@ROOT@/other-source"
                replica = "@ROOT@/other-replica"
                """)
        defer { Task { await cluster.remove() } }
        let root = cluster.root
        for directory in ["other-source", "extra-source"] {
            try FileManager.default.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        let original = try String(contentsOfFile: cluster.configPath, encoding: .utf8)
        let pair = try DaemonPair(cluster)
        defer { pair.terminate() }
        let betaLog = pair.betaLog
        let text = DaemonPair.text
        try "one".write(toFile: root + "/other-source/one.txt", atomically: true, encoding: .utf8)
        try "kept".write(toFile: root + "/extra-source/before.txt", atomically: true, encoding: .utf8)
        #expect(try await DaemonPair.there(root + "/other-replica/one.txt", 60), "\(text(betaLog).suffix(2000))")
        // Each group's follower connects on its own (one may retry while alpha starts listening): both mirror first.
        try "first".write(toFile: cluster.source + "/first.txt", atomically: true, encoding: .utf8)
        #expect(try await pair.arrives("first.txt", 60), "\(text(betaLog).suffix(2000))")
        #expect(
            pair.connections(serving: "other") == 1 && pair.connections(serving: "files") == 1,
            "\(text(betaLog).suffix(2000))")

        // The other group's lag probe: a file every 25 ms all through both reloads.
        let writer = DaemonPair.writeSteadily(into: root + "/other-source", count: 120, text: "note")
        let extra = """

            [[groups.files.shares]]
            name = "extra"
            source = "\(root)/extra-source"
            replica = "\(root)/extra-replica"

            """
        let withExtra = original.replacingOccurrences(of: "[groups.other]", with: extra + "[groups.other]")
        #expect(withExtra != original)
        try withExtra.write(toFile: cluster.configPath, atomically: true, encoding: .utf8)
        try pair.reloadBoth(expecting: "the shares of group files (added: extra)")
        try "new".write(toFile: root + "/extra-source/after.txt", atomically: true, encoding: .utf8)
        #expect(try await DaemonPair.there(root + "/extra-replica/before.txt"), "\(text(betaLog).suffix(3000))")
        #expect(try await DaemonPair.there(root + "/extra-replica/after.txt"), "\(text(betaLog).suffix(3000))")
        let client = cluster.control("beta")
        let shares = {
            try await onThread { try client.send(ControlRequest.status, waitingUpTo: 30) }.status?.groups
                .first { $0.name == "files" }?.shares.map(\.name) ?? []
        }
        #expect(try await shares() == ["data", "extra"])

        try original.write(toFile: cluster.configPath, atomically: true, encoding: .utf8)
        try pair.reloadBoth(expecting: "the shares of group files (removed: extra)")
        #expect(try await shares() == ["data"])
        try "gone".write(toFile: root + "/extra-source/late.txt", atomically: true, encoding: .utf8)
        try "data".write(toFile: cluster.source + "/still.txt", atomically: true, encoding: .utf8)
        #expect(try await DaemonPair.there(cluster.replica + "/still.txt"), "the share kept is still mirrored")
        await writer.value
        #expect(try await DaemonPair.there(root + "/other-replica/during-119.txt"), "\(text(betaLog).suffix(3000))")
        #expect(DaemonPair.missing(in: root + "/other-replica", count: 120, text: "note") == [])
        #expect(!FileManager.default.fileExists(atPath: root + "/extra-replica/late.txt"), "a removed share is let go")
        // Added again: a share of its own again, whose changes are announced and mirrored as before.
        try withExtra.write(toFile: cluster.configPath, atomically: true, encoding: .utf8)
        try pair.reloadBoth(expecting: "the shares of group files (added: extra)")
        #expect(try await DaemonPair.there(root + "/extra-replica/late.txt"), "\(text(betaLog).suffix(3000))")
        try "again".write(toFile: root + "/extra-source/again.txt", atomically: true, encoding: .utf8)
        #expect(try await DaemonPair.there(root + "/extra-replica/again.txt"), "\(text(betaLog).suffix(3000))")
        // The other group never reconnected; the changed one restarted its mirror once per reload at most.
        #expect(pair.connections(serving: "other") == 1, "\(text(betaLog).suffix(3000))")
        #expect(pair.connections(serving: "files") <= 4, "\(text(betaLog).suffix(3000))")
    }
}

/// Alpha and beta of a test cluster, each a daemon process of its own logging to a file in the cluster's directory.
struct DaemonPair {
    let cluster: TestCluster
    let alpha: DaemonProcess
    let beta: DaemonProcess
    var alphaLog: String { cluster.root + "/alpha.log" }
    var betaLog: String { cluster.root + "/beta.log" }

    init(_ cluster: TestCluster) throws {
        self.cluster = cluster
        alpha = try DaemonProcess(config: cluster.configPath, node: "alpha", log: cluster.root + "/alpha.log")
        beta = try DaemonProcess(config: cluster.configPath, node: "beta", log: cluster.root + "/beta.log")
    }

    func terminate() {
        alpha.terminate()
        beta.terminate()
    }

    /// A log's text so far ("" before it exists).
    static func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// How often the standby connected to the primary so far.
    var connections: Int { Self.text(betaLog).components(separatedBy: "connected to alpha").count - 1 }

    /// The lag probe of a reload: `count` files `during-N.txt` ("TEXT N") written into `directory`, one every 25 ms.
    static func writeSteadily(into directory: String, count: Int, text: String) -> Task<Void, Never> {
        Task {
            for number in 0..<count {
                try? "\(text) \(number)".write(
                    toFile: directory + "/during-\(number).txt", atomically: true, encoding: .utf8)
                try? await Task.sleep(for: .milliseconds(25))
            }
        }
    }

    /// The files of `writeSteadily` not in `directory` as written.
    static func missing(in directory: String, count: Int, text: String) -> [String] {
        (0..<count).map { "during-\($0).txt" }.enumerated().filter { number, name in
            (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) != "\(text) \(number)"
        }.map(\.element)
    }

    /// How often the standby connected to the primary for `group` so far.
    func connections(serving group: String) -> Int {
        Self.text(betaLog).components(separatedBy: "connected to alpha, which serves group \(group)").count - 1
    }

    /// `understudy reload` on both nodes, each expected to answer that it applied `line`.
    func reloadBoth(expecting line: String) throws {
        for node in ["alpha", "beta"] {
            let (status, output) = try ChildProcess.run(
                DaemonProcess.binary, ["reload", "--config", cluster.configPath, "--node", node])
            #expect(status == 0, "\(output)")
            #expect(output == "node \(node): applied the changes to \(line)\n", "\(output)")
        }
    }

    /// Waits (at most `seconds`) for `path` to exist.
    static func there(_ path: String, _ seconds: Double = 30) async throws -> Bool {
        for _ in 0..<Int(seconds * 20) {
            if FileManager.default.fileExists(atPath: path) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Waits (at most `seconds`) for `name` to be in the replica.
    func arrives(_ name: String, _ seconds: Double) async throws -> Bool {
        for _ in 0..<Int(seconds * 20) {
            if FileManager.default.fileExists(atPath: cluster.replica + "/" + name) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
