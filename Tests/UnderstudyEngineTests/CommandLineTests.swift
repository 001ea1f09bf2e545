#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode
import UnderstudySupport

/// The CLI as an administrator meets it: bad configuration and bad command lines get a clear error that says
/// what and where, and a non-zero exit.
struct CommandLineTests {
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try ChildProcess.run(DaemonProcess.binary, arguments)
    }

    /// Alpha's daemon as a process of its own, once it answers; its control client and the path of its log.
    static func runAlpha(_ cluster: TestCluster) async throws -> (DaemonProcess, ControlClient, String) {
        let log = cluster.root + "/alpha.log"
        let daemon = try DaemonProcess(config: cluster.configPath, node: "alpha", log: log)
        let client = cluster.control("alpha")
        do {
            #expect(try await onThread { try client.send(ControlRequest.status, waitingUpTo: 30) }.ok)
        } catch {
            daemon.terminate()
            throw error
        }
        return (daemon, client, log)
    }

    @Test func checkConfig_reportsEveryProblemAsFileLineMessage() throws {
        let root = TestTree.makeTemporaryDirectory("cli")
        defer { TestTree.remove(root) }
        let path = root + "/bad.toml"
        try """
        cluster = "office"
        [nodes.alpha]
        adress = "127.0.0.1:7700"
        [nodes.beta]
        address = "127.0.0.1:99999"
        [groups.files]
        primary = "alpha"
        standby = "gamma"
        [[groups.files.shares]]
        name = "data"
        source = "relative/path"
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let (status, output) = try run(["check-config", "--config", path])
        #expect(status != 0)
        #expect(output.contains("\(path):3: unknown key 'adress'"), "\(output)")
        #expect(output.contains("\(path):5:"), "\(output)")
        #expect(output.contains("\(path):8:"), "\(output)")
        #expect(output.contains("\(path):11:"), "\(output)")
    }

    @Test func checkConfig_printsOnlyFileLineMessages_onStandardOutput_andExitsOne() throws {
        let root = TestTree.makeTemporaryDirectory("cli-stdout")
        defer { TestTree.remove(root) }
        let path = root + "/bad.toml"
        try """
        cluster = "office"
        [nodes.alpha]
        adress = "127.0.0.1:7700"
        """.write(toFile: path, atomically: true, encoding: .utf8)
        // Standard error thrown away: what an editor or a script reads.
        let (status, output) = try ChildProcess.run(
            "/bin/sh", ["-c", "'\(DaemonProcess.binary)' check-config --config '\(path)' 2>/dev/null"])
        #expect(status == 1, "\(output)")
        let lines = output.split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(line.range(of: "^\(path):[0-9]+: ", options: .regularExpression) != nil, "not file:line: \(line)")
        }
        #expect(!output.contains("Error:"), "\(output)")
    }

    @Test func version_andTopLevelHelp_sayWhatRunsAndWhatItDoes() throws {
        let (status, output) = try run(["--version"])
        #expect(status == 0)
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "understudy \(UnderstudyVersion.current)")
        let (helpStatus, help) = try run(["--help"])
        #expect(helpStatus == 0)
        for part in ["takes over its address", "archives", "web console", "check-config", "--version"] {
            #expect(help.contains(part), "the help does not mention \(part): \(help)")
        }
    }

    @Test func deploy_refusesBadInput_sayingWhatAndWhere_beforeReachingAnyNode() throws {
        let cluster = try TestCluster(label: "deploy")
        defer { Task { await cluster.remove() } }
        let config = ["--config", cluster.configPath]
        let unknown = try run(["deploy", "gamma"] + config)
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("node 'gamma' is not in \(cluster.configPath); its nodes: alpha, beta"))
        let noPackage = try run(["deploy", "beta", "--package", "/nonexistent/understudy.deb"] + config)
        #expect(noPackage.status != 0)
        #expect(noPackage.output.contains("no package at /nonexistent/understudy.deb: build it with `make deb`"))
        let notADeb = try run(["deploy", "beta", "--package", cluster.configPath] + config)
        #expect(notADeb.output.contains("is not a Debian package"), "\(notADeb.output)")
        let badOption = try run(["deploy", "beta", "--ssh-option", "Port"] + config)
        #expect(badOption.status != 0 && badOption.output.contains("must be KEY=VALUE"), "\(badOption.output)")
        let badDestination = try run(["deploy", "beta", "--ssh=-oProxyCommand=x"] + config)
        #expect(badDestination.status != 0 && badDestination.output.contains("must be [USER@]HOST"))
        let badPort = try run(["deploy", "beta", "--port", "70000"] + config)
        #expect(badPort.status != 0 && badPort.output.contains("is not a port"))
    }

    @Test func doctorAndDiscover_refuseBadOptions_sayingWhich() throws {
        let cluster = try TestCluster(label: "badoptions")
        defer { Task { await cluster.remove() } }
        let timeout = try run(["doctor", "--config", cluster.configPath, "--node", "alpha", "--timeout", "0"])
        #expect(timeout.status != 0 && timeout.output.contains("--timeout must be above 0"), "\(timeout.output)")
        let node = try run(["doctor", "--config", cluster.configPath, "--node", "gamma"])
        #expect(node.status != 0 && node.output.contains("node 'gamma' is not in"), "\(node.output)")
        let file = try run(["discover", "files1", "--authentication-file", "/nonexistent/credentials"])
        #expect(file.status != 0 && file.output.contains("/nonexistent/credentials cannot be read"), "\(file.output)")
        let slow = try run(["discover", "files1", "--timeout", "9999"])
        #expect(slow.status != 0 && slow.output.contains("--timeout must be above 0 and at most 600 s"))
    }

    @Test func missingConfiguration_saysWhichFileAndWhatToDo() throws {
        let (status, output) = try run(["check-config", "--config", "/nonexistent/understudy.toml"])
        #expect(status != 0)
        #expect(output.contains("/nonexistent/understudy.toml"))
        #expect(output.contains("--config"))
    }

    @Test func checkConfig_onAFIFO_aDirectoryOrDevNull_saysWhatItIs_atOnce() throws {
        let root = TestTree.makeTemporaryDirectory("cli-fifo")
        defer { TestTree.remove(root) }
        mkfifo(root + "/fifo", 0o600)
        for (path, what) in [
            (root + "/fifo", "it is a FIFO"), (root, "it is a directory"), ("/dev/null", "it is a character device"),
        ] {
            let (status, output) = try run(["check-config", "--config", path])
            #expect(status != 0)
            #expect(output.contains("cannot read configuration \(path): \(what)"), "\(output)")
            #expect(!output.contains("permission"), "\(output)")
        }
    }

    @Test func checkConfig_warnsOfANonEmptyReplicaThatUnderstudyNeverMirroredInto() throws {
        let cluster = try TestCluster(label: "cli-adopt")
        defer { TestTree.remove(cluster.root) }
        TestTree.write(cluster.replica, "precious.txt", "someone's")
        let (status, output) = try run(["check-config", "--config", cluster.configPath])
        #expect(status == 0, "a warning, not an error: \(output)")
        #expect(
            output.contains(
                "\(cluster.configPath): warning: replica \(cluster.replica) of files/data holds 1 entries but no mark"),
            "\(output)")
        #expect(output.contains("understudy adopt files/data --keep"), "\(output)")
    }

    @Test func statusWithoutDaemon_saysTheDaemonIsNotRunning() throws {
        let root = TestTree.makeTemporaryDirectory("cli-status")
        defer { TestTree.remove(root) }
        try """
        cluster = "office"
        [nodes.alpha]
        address = "127.0.0.1:7700"
        state_dir = "\(root)/state"
        """.write(toFile: root + "/u.toml", atomically: true, encoding: .utf8)
        let (status, output) = try run(["status", "--config", root + "/u.toml"])
        #expect(status != 0)
        #expect(output.contains("cannot reach the daemon"), "\(output)")
    }

    @Test func run_stopsCleanly_withExitStatusZero_onSIGTERM() async throws {
        let cluster = try TestCluster(label: "sigterm")
        defer { Task { await cluster.remove() } }
        let log = cluster.root + "/alpha.log"
        let daemon = try DaemonProcess(config: cluster.configPath, node: "alpha", log: log)
        let client = cluster.control("alpha")
        let status = try await onThread { try client.send(ControlRequest.status, waitingUpTo: 30) }
        #expect(status.ok)
        daemon.terminate()
        #expect(
            daemon.child.exitCode == 0,
            "wait status \(daemon.child.waitStatus.map(String.init) ?? "none"); log: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")"
        )
        #expect(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("node alpha stopped"))
    }

    @Test func run_onSIGHUP_refusesABadFile_appliesNotifyAtOnce_andNamesWhatWaitsForARestart() async throws {
        let cluster = try TestCluster(label: "sighup")
        defer { Task { await cluster.remove() } }
        let (daemon, client, log) = try await Self.runAlpha(cluster)
        defer { daemon.terminate() }
        let original = try String(contentsOfFile: cluster.configPath, encoding: .utf8)
        let logText = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        /// Sends SIGHUP and waits (at most 10 s) for the log line that answers it.
        func hangUp(expecting text: String) async throws {
            let before = logText().components(separatedBy: text).count
            kill(daemon.pid, SIGHUP)
            for _ in 0..<200 where logText().components(separatedBy: text).count == before {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(
                logText().components(separatedBy: text).count > before,
                "no new '\(text)' in the log after SIGHUP: \(logText().suffix(2000))")
            #expect(daemon.child.isRunning, "SIGHUP ended the daemon")
        }
        try await hangUp(expecting: "is valid and unchanged")
        try (original + "\n[nodes.alpha.bogus]\n").write(toFile: cluster.configPath, atomically: true, encoding: .utf8)
        try await hangUp(expecting: "has problems; the daemon goes on with its running configuration")
        #expect(logText().contains("\(cluster.configPath):"), "the problem names file and line")
        // [notify] is applied at once: the notification channels are replaced.
        let notify = "\n[notify]\n[notify.command]\ncommand = \"true\"\n"
        try (original + notify).write(toFile: cluster.configPath, atomically: true, encoding: .utf8)
        try await hangUp(expecting: "applied the changes to [notify]")
        #expect(logText().contains("notifications now go to: command true"), "\(logText().suffix(2000))")
        #expect(!logText().contains("take effect when the daemon restarts"))
        try await hangUp(expecting: "is valid and unchanged")
        // Any other change is named, for the next restart.
        try (original + notify + "\n[heartbeat]\ninterval = \"100ms\"\n").write(
            toFile: cluster.configPath, atomically: true, encoding: .utf8)
        try await hangUp(expecting: "these changes take effect when the daemon restarts: [heartbeat]")
        // Still serving as before.
        #expect(try await onThread { try client.send(ControlRequest.status, waitingUpTo: 30) }.ok)
    }

    @Test func reload_saysWhatTheDaemonApplied_refusesABadFileWithFileAndLine_andExitsOne() async throws {
        let consolePort = try TestPorts.take()
        let cluster = try TestCluster(
            label: "reload-cli", nodeExtra: ["alpha": "console = \"127.0.0.1:\(consolePort)\""])
        defer { Task { await cluster.remove() } }
        let (daemon, client, log) = try await Self.runAlpha(cluster)
        defer { daemon.terminate() }
        let original = try String(contentsOfFile: cluster.configPath, encoding: .utf8)
        let logText = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        func reload(_ extra: [String] = []) throws -> (status: Int32, output: String) {
            try run(["reload", "--config", cluster.configPath, "--node", "alpha"] + extra)
        }
        var (status, output) = try reload()
        #expect(status == 0, "\(output)")
        #expect(output == "node alpha: \(cluster.configPath) is valid and unchanged\n", "\(output)")
        // A bad file: every problem as file:line, exit 1, and the daemon keeps what it runs.
        try (original + "\n[nodes.alpha.bogus]\n").write(toFile: cluster.configPath, atomically: true, encoding: .utf8)
        (status, output) = try reload()
        #expect(status == 1, "\(output)")
        #expect(output.contains("\(cluster.configPath):"), "\(output)")
        #expect(output.contains("nothing was reloaded"), "\(output)")
        // The daemon refuses it the same way when asked directly (the API, a client that did not check the file).
        let refused = try await onThread { try client.send(ControlRequest.reload, waitingUpTo: 30) }
        #expect(!refused.ok)
        #expect(refused.code == "configuration-invalid", "\(refused)")
        #expect(refused.error?.contains("\(cluster.configPath):") == true, "\(refused)")
        #expect(daemon.child.isRunning)
        // A file without this node is refused too: the daemon would no longer know what it is.
        let others = original.replacingOccurrences(of: "[nodes.alpha]", with: "[nodes.gamma]")
            .replacingOccurrences(of: "\"alpha\"", with: "\"gamma\"")
        try others.write(toFile: cluster.configPath, atomically: true, encoding: .utf8)
        let orphan = try await onThread { try client.send(ControlRequest.reload, waitingUpTo: 30) }
        #expect(orphan.code == "configuration-invalid", "\(orphan)")
        #expect(orphan.error?.contains("has no node alpha") == true, "\(orphan)")
        // The metrics say that the file on disk is not what runs.
        func metrics() async -> String {
            await ProcessRunner.run("curl -sk https://127.0.0.1:\(consolePort)/metrics", timeout: 30).output
        }
        var shown = await metrics()
        #expect(shown.contains("understudy_config_last_reload_successful 0.0"), "\(shown)")
        // And the status warns of it, until a reload is valid.
        let warned = try await onThread { try client.send(ControlRequest.status, waitingUpTo: 30) }.status?.warnings
        #expect(warned?.contains { $0.contains("found no node alpha in") && $0.contains("understudy reload") } == true)
        #expect(shown.contains("understudy_config_reloads_total{result=\"refused\"} 2"), "\(shown)")
        // [notify] is applied at once; a new heartbeat interval waits for a restart, and is named.
        let notify = "\n[notify]\n[notify.command]\ncommand = \"true\"\n"
        try (original + notify + "\n[heartbeat]\ninterval = \"100ms\"\n").write(
            toFile: cluster.configPath, atomically: true, encoding: .utf8)
        (status, output) = try reload()
        #expect(status == 0, "\(output)")
        #expect(output.contains("node alpha: applied the changes to [notify]\n"), "\(output)")
        #expect(output.contains("take effect when the daemon restarts: [heartbeat]"), "\(output)")
        #expect(logText().contains("notifications now go to: command true"), "\(logText().suffix(2000))")
        #expect(logText().contains("reload asked by control socket: applied the changes to [notify]"))
        // Applied once: the next reload finds only what waits for the restart. As JSON, for scripts.
        (status, output) = try reload(["--json"])
        #expect(status == 0, "\(output)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(answer["answer"] as? String == "reloaded", "\(output)")
        let report = try #require(answer["reload"] as? [String: Any])
        #expect((report["applied"] as? [String]) == [])
        #expect((report["atRestart"] as? [String]) == ["[heartbeat]"])
        #expect(daemon.child.isRunning)
        shown = await metrics()
        #expect(shown.contains("understudy_config_last_reload_successful 1.0"), "\(shown)")
        let cleared = try await onThread { try client.send(ControlRequest.status, waitingUpTo: 30) }.status?.warnings
        #expect(cleared == nil, "\(String(describing: cleared))")
        #expect(shown.contains("understudy_config_reloads_total{result=\"valid\"} 3"), "\(shown)")
        #expect(shown.contains("# HELP understudy_config_reloads_total"), "\(shown)")
        // Asking a node whose daemon does not run says so.
        (status, output) = try run(["reload", "--config", cluster.configPath, "--node", "beta"])
        #expect(status != 0)
        #expect(output.contains("cannot reach the daemon"), "\(output)")
    }

    @Test func reload_ofAGroupThisNodeIsNotIn_isNamedAsApplied_andLeavesTheNodesSharesAlone() async throws {
        let cluster = try TestCluster(
            label: "reload-foreign",
            trailer: """
                [nodes.gamma]
                address = "127.0.0.1:\(try TestPorts.take())"
                state_dir = "@ROOT@/gamma-state"

                [groups.far]
                primary = "gamma"
                standby = "beta"
                [[groups.far.shares]]
                name = "docs"
                source = "@ROOT@/far-source"
                replica = "@ROOT@/far-replica"
                """, moreNodes: ["gamma"])
        defer { Task { await cluster.remove() } }
        let (daemon, client, log) = try await Self.runAlpha(cluster)
        defer { daemon.terminate() }
        let original = try String(contentsOfFile: cluster.configPath, encoding: .utf8)
        try
            (original
            + "\n[[groups.far.shares]]\nname = \"more\"\nsource = \"\(cluster.root)/more\"\nreplica = \"\(cluster.root)/more-r\"\n")
            .write(toFile: cluster.configPath, atomically: true, encoding: .utf8)
        let (status, output) = try run(["reload", "--config", cluster.configPath, "--node", "alpha"])
        #expect(status == 0, "\(output)")
        #expect(output == "node alpha: applied the changes to the shares of group far (added: more)\n", "\(output)")
        // Alpha keeps no share of it: nothing is mirrored, captured or shown here.
        let report = try await onThread { try client.send(ControlRequest.status, waitingUpTo: 30) }.status
        let groups = report?.groups.map { $0.name } ?? []
        #expect(groups == ["files"], "\(groups)")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(!text.contains("is mirrored from now on"), "\(text.suffix(2000))")
        #expect(daemon.child.isRunning)
    }

    @Test func run_logsWithSyslogPrioritiesUnderSystemd_andOneJSONObjectALineWhenAsked() async throws {
        let cluster = try TestCluster(label: "logformat")
        defer { Task { await cluster.remove() } }
        let client = cluster.control("alpha")
        /// Runs the daemon until it answers, stops it, and returns its log's lines.
        func linesOfARun(log: String, wrapper: [String] = [], arguments: [String] = []) async throws -> [String] {
            let daemon = try DaemonProcess(
                config: cluster.configPath, node: "alpha", log: log, wrapper: wrapper, arguments: arguments)
            defer { daemon.terminate() }
            #expect(try await onThread { try client.send(ControlRequest.status, waitingUpTo: 30) }.ok)
            daemon.terminate()
            return ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        // systemd names the journal's stream by device and inode: here the log file is standard error.
        let journalLog = cluster.root + "/journal.log"
        #expect(FileManager.default.createFile(atPath: journalLog, contents: nil))
        var info = stat()
        #expect(stat(journalLog, &info) == 0)
        let journal = try await linesOfARun(
            log: journalLog, wrapper: ["/usr/bin/env", "JOURNAL_STREAM=\(info.st_dev):\(info.st_ino)"])
        #expect(!journal.isEmpty)
        for line in journal {
            #expect(line.range(of: "^<[2-7]>understudy", options: .regularExpression) != nil, "\(line)")
        }
        #expect(journal.contains { $0.hasPrefix("<6>") && $0.contains("node alpha stopped") }, "\(journal)")

        let json = try await linesOfARun(log: cluster.root + "/json.log", arguments: ["--log-format", "json"])
        #expect(!json.isEmpty)
        for line in json {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] != nil && object?["message"] != nil && object?["time"] != nil, "\(line)")
        }
    }

    @Test func aSecondDaemonOfTheSameNode_isRefusedAtOnce_andLeavesTheFirstOneWhole() async throws {
        let cluster = try TestCluster(label: "twice")
        defer { Task { await cluster.remove() } }
        let daemon = try DaemonProcess(config: cluster.configPath, node: "beta", log: cluster.root + "/beta.log")
        defer { daemon.terminate() }
        let client = cluster.control("beta")
        #expect(try await onThread { try client.send(ControlRequest.status, waitingUpTo: 30) }.ok)
        let started = Date()
        let second = try run(["run", "--config", cluster.configPath, "--node", "beta"])
        #expect(second.status != 0)
        #expect(second.output.contains("node beta's daemon is already running (pid \(daemon.pid))"), "\(second.output)")
        #expect(Date().timeIntervalSince(started) < 10, "refused at once, not after minutes")
        // The first daemon keeps its control socket (the second used to delete it on its way out).
        #expect(FileManager.default.fileExists(atPath: cluster.configuration.nodes["beta"]!.controlSocket))
        #expect(try await onThread { try client.send(ControlRequest.status, waitingUpTo: 10) }.ok)
    }

    @Test func unknownNodeAndBadOptions_areRefused() throws {
        let root = TestTree.makeTemporaryDirectory("cli-node")
        defer { TestTree.remove(root) }
        try """
        cluster = "office"
        [nodes.alpha]
        address = "127.0.0.1:7700"
        state_dir = "\(root)/state"
        """.write(toFile: root + "/u.toml", atomically: true, encoding: .utf8)
        let unknown = try run(["run", "--config", root + "/u.toml", "--node", "omega"])
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("node 'omega' is not in"), "\(unknown.output)")
        let badLevel = try run(["run", "--config", root + "/u.toml", "--log-level", "loud"])
        #expect(badLevel.status != 0)
        #expect(badLevel.output.contains("log-level"), "\(badLevel.output)")
        let badCommand = try run(["frobnicate"])
        #expect(badCommand.status != 0)
    }
}
