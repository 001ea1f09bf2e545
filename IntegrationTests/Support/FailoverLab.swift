#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A failover lab for one scenario: the namespaces of `scripts/lab` (client, alpha, beta, mail on a LAN bridge,
/// a dedicated veth between alpha and beta), two `understudy run` daemons inside alpha and beta, the lab's
/// HTTP service started and stopped by the group's start/stop scripts, a real SMTP server (aiosmtpd) in the
/// mail namespace, and a client polling the service address. `shutdown()` removes all of it; call it in a
/// `defer` so a failing scenario leaves nothing behind.
final class FailoverLab: @unchecked Sendable {
    static let serviceAddress = "10.77.1.100"
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    let prefix: String
    let directory: String
    private var offsite = false
    private var daemons: [String: Process] = [:]
    private var helpers: [Process] = []
    /// File systems a scenario mounted (sshfs), unmounted first at `shutdown`.
    var mounts: [String] = []

    init(_ label: String) throws {
        prefix = label.prefix(2) + String(format: "%04x", UInt16.random(in: 0...UInt16.max))
        directory = "/tmp/understudy-it-\(prefix)"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory + "/site", withIntermediateDirectories: true)
        try "hello\n".write(toFile: directory + "/site/index.html", atomically: true, encoding: .utf8)
        let (status, output) = Self.run(["\(Self.repository)/scripts/lab", "up", prefix])
        guard status == 0 else { throw LabError("scripts/lab up \(prefix) failed: \(output)") }
    }

    /// Writes the cluster configuration (the group `web`, alpha primary) and the service scripts, and makes the
    /// certificates and cluster key.
    /// - Parameter witness: gamma is the group's witness, with a link to each node (wa to alpha, wb to beta).
    /// - Parameter secondPrimary: delta is the primary of a second group, `mail` (its own service on
    ///   `mailAddress`, port 8025, its share `mail-source`), which beta protects too, over the link ded2 and the LAN.
    /// - Parameter labService: the group runs the lab's service (start.sh, stop.sh, its check); false: `group` says
    ///   what it runs.
    /// - Parameter offsite: omega keeps an off-site copy of every group (`offsite-site`, `offsite-mail`), fed by beta
    ///   over the lab's WAN (see `scripts/lab shape`).
    func configure(
        heartbeat: String = "", group: String = "", nodeTables: String = "", notify: Bool = true, witness: Bool = false,
        secondPrimary: Bool = false, offsite: Bool = false, labService: Bool = true
    ) throws {
        self.offsite = offsite
        try writeServiceScripts(name: "", label: "service", port: 80)
        try writeServiceScripts(name: "-mail", label: "mail", port: 8025)
        if secondPrimary {
            try FileManager.default.createDirectory(
                atPath: directory + "/mail-source", withIntermediateDirectories: true)
        }
        let notifySection =
            notify
            ? """
            [notify]
            repeat_after = "0s"
            [notify.email]
            server = "10.77.1.25:2525"
            from = "understudy@lab.test"
            to = ["admin@lab.test"]
            """ : ""
        try """
        cluster = "lab"
        certificates = "\(directory)/certs"
        [heartbeat]
        \(heartbeat)
        \(notifySection)

        [nodes.alpha]
        address = "10.77.2.1:7700"
        state_dir = "\(directory)/alpha"
        [nodes.alpha.links]
        dedicated = "10.77.2.1"
        lan = "10.77.1.1"
        \(witness ? "wa = { address = \"10.77.3.1\", mirror = false }" : "")

        \(nodeTables)

        [nodes.beta]
        address = "10.77.2.2:7700"
        state_dir = "\(directory)/beta"
        [nodes.beta.links]
        dedicated = "10.77.2.2"
        lan = "10.77.1.2"
        \(witness ? "wb = { address = \"10.77.4.2\", mirror = false }" : "")
        \(secondPrimary ? "ded2 = \"10.77.5.2\"" : "")

        \(witness ? """
            [nodes.gamma]
            address = "10.77.3.3:7700"
            state_dir = "\(directory)/gamma"
            [nodes.gamma.links]
            wa = "10.77.3.3"
            wb = "10.77.4.3"
            """ : "")

        [groups.web]
        primary = "alpha"
        standby = "beta"
        service_address = "\(Self.serviceAddress)/24"
        interface = "lan0"
        \(labService ? "start = [\"\(directory)/start.sh\"]\nstop = [\"\(directory)/stop.sh\"]" : "")
        \(witness ? "witness = \"gamma\"" : "")
        \(offsite ? "offsite = \"omega\"" : "")
        \(group)
        \(labService ? """
            [[groups.web.checks]]
            name = "web"
            type = "http"
            url = "http://\(Self.serviceAddress)/"
            expect_body = "lab-service"
            """ : "")

        [[groups.web.shares]]
        name = "site"
        source = "\(directory)/site"
        replica = "\(directory)/replica"
        \(offsite ? "offsite_replica = \"\(directory)/offsite-site\"" : "")

        \(secondPrimary ? secondGroup : "")

        \(offsite ? "[nodes.omega]\naddress = \"10.77.7.6:7700\"\nstate_dir = \"\(directory)/omega\"" : "")
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let (status, output) = Self.run([Self.binary, "init", "--config", configPath])
        guard status == 0 else { throw LabError("understudy init failed: \(output)") }
    }

    static let mailAddress = "10.77.1.101"

    /// delta, and its group `mail` protected by beta.
    private var secondGroup: String {
        """
        [nodes.delta]
        address = "10.77.5.4:7700"
        state_dir = "\(directory)/delta"
        [nodes.delta.links]
        ded2 = "10.77.5.4"
        lan = "10.77.1.4"

        [groups.mail]
        primary = "delta"
        standby = "beta"
        \(offsite ? "offsite = \"omega\"" : "")
        service_address = "\(Self.mailAddress)/24"
        interface = "lan0"
        start = ["\(directory)/start-mail.sh"]
        stop = ["\(directory)/stop-mail.sh"]
        [[groups.mail.checks]]
        name = "mail-web"
        type = "http"
        url = "http://\(Self.mailAddress):8025/"
        expect_body = "lab-service"

        [[groups.mail.shares]]
        name = "spool"
        source = "\(directory)/mail-source"
        replica = "\(directory)/mail-replica"
        \(offsite ? "offsite_replica = \"\(directory)/offsite-mail\"" : "")
        """
    }

    /// start`name`.sh and stop`name`.sh: the lab's HTTP service on `port` as this node, once; its pid in
    /// NODE.`label`.pid.
    private func writeServiceScripts(name: String, label: String, port: Int) throws {
        let service = "\(Self.repository)/scripts/lab-service"
        try """
        #!/bin/sh
        # Starts the lab's \(label) service as this node, once.
        pidfile=\(directory)/$UNDERSTUDY_NODE.\(label).pid
        if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo "already running"; exit 0; fi
        setsid python3 \(service) "$UNDERSTUDY_NODE" \(port) >/dev/null 2>&1 < /dev/null &
        echo $! > "$pidfile"
        echo "started the \(label == "service" ? "web" : label) service on $UNDERSTUDY_NODE"
        """.write(toFile: directory + "/start\(name).sh", atomically: true, encoding: .utf8)
        try """
        #!/bin/sh
        pidfile=\(directory)/$UNDERSTUDY_NODE.\(label).pid
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null; rm -f "$pidfile"
        echo "stopped the \(label == "service" ? "web" : label) service on $UNDERSTUDY_NODE"
        """.write(toFile: directory + "/stop\(name).sh", atomically: true, encoding: .utf8)
        chmod(directory + "/start\(name).sh", 0o755)
        chmod(directory + "/stop\(name).sh", 0o755)
    }

    var configPath: String { directory + "/understudy.toml" }
    func log(_ node: String) -> String { directory + "/\(node).log" }

    func start(_ node: String) throws {
        let process = try spawn(
            ["ip", "netns", "exec", "\(prefix)-\(node)", Self.binary, "run", "--config", configPath, "--node", node],
            output: log(node))
        daemons[node] = process
    }

    func daemonPID(_ node: String) -> Int32? { daemons[node]?.processIdentifier }

    /// kill -9 of the node's daemon, reaped before returning (at most 5 s).
    func killDaemon(_ node: String) {
        guard let pid = daemonPID(node) else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        for _ in 0..<250 where waitpid(pid, &status, WNOHANG) == 0 { usleep(20_000) }
    }

    /// The pid of the node's web service, as its start script recorded it.
    func servicePID(_ node: String) -> Int32? {
        (try? String(contentsOfFile: directory + "/\(node).service.pid", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    func startMailServer() throws {
        // aiosmtpd's Mailbox handler writes a maildir it does not create.
        for folder in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(
                atPath: directory + "/mail/" + folder, withIntermediateDirectories: true)
        }
        helpers.append(
            try spawn(
                [
                    "ip", "netns", "exec", "\(prefix)-mail", "/usr/bin/python3", "-m", "aiosmtpd", "-n",
                    "-l", "10.77.1.25:2525", "-c", "aiosmtpd.handlers.Mailbox", directory + "/mail",
                ],
                output: directory + "/smtp.log"))
    }

    /// Every message the SMTP server received, oldest first.
    func mails() -> [String] {
        let folder = directory + "/mail/new"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        return names.compactMap { try? String(contentsOfFile: folder + "/" + $0, encoding: .utf8) }
    }

    func waitForMail(containing text: String, seconds: Double) -> String? {
        var found: String?
        _ = Self.waitUntil(seconds: seconds) {
            found = self.mails().first { $0.contains(text) }
            return found != nil
        }
        return found
    }

    /// Starts the client's poller of the service address (every 20 ms, for `seconds`).
    func startPoller(seconds: Double) throws -> String {
        let file = directory + "/poll.txt"
        helpers.append(
            try spawn(
                [
                    "ip", "netns", "exec", "\(prefix)-client", "python3", "\(Self.repository)/scripts/lab-poll",
                    "http://\(Self.serviceAddress)/", file, "--duration", "\(seconds)",
                ], output: directory + "/poll.log"))
        return file
    }

    /// Starts a process that runs until `shutdown` (a server of the scenario).
    func startHelper(_ arguments: [String], output: String) throws {
        helpers.append(try spawn(arguments, output: output))
    }

    /// Writes the cluster configuration as given and makes the certificates and cluster key.
    func writeConfiguration(_ text: String) throws {
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        let (status, output) = Self.run([Self.binary, "init", "--config", configPath])
        guard status == 0 else { throw LabError("understudy init failed: \(output)") }
    }

    func exec(_ node: String, _ arguments: [String]) -> (status: Int32, output: String) {
        Self.run(["ip", "netns", "exec", "\(prefix)-\(node)"] + arguments)
    }

    func lab(_ arguments: String...) -> (status: Int32, output: String) {
        Self.run(["\(Self.repository)/scripts/lab"] + arguments.map { $0 == "PREFIX" ? prefix : $0 })
    }

    func holdsServiceAddress(_ node: String) -> Bool {
        exec(node, ["ip", "-4", "addr", "show", "lan0"]).output.contains(Self.serviceAddress + "/")
    }

    func mac(_ node: String) -> String? {
        let words = exec(node, ["ip", "link", "show", "lan0"]).output.split(whereSeparator: \.isWhitespace)
        guard let index = words.firstIndex(of: "link/ether"), index + 1 < words.count else { return nil }
        return String(words[index + 1])
    }

    /// The MAC the client's neighbour table holds for the service address.
    func clientNeighbourMAC() -> String? {
        let words = exec("client", ["ip", "neigh", "show", Self.serviceAddress]).output.split(
            whereSeparator: \.isWhitespace)
        guard let index = words.firstIndex(of: "lladdr"), index + 1 < words.count else { return nil }
        return String(words[index + 1])
    }

    /// What the client gets from the service address now ("lab-service alpha"), or nil.
    func clientAnswer(url: String = "http://\(FailoverLab.serviceAddress)/") -> String? {
        let (status, output) = exec("client", ["curl", "-s", "-m", "0.5", url])
        return status == 0 ? output.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    func status(_ node: String) -> String {
        Self.run([Self.binary, "status", "--config", configPath, "--node", node, "--json"]).output
    }

    func understudy(_ arguments: [String]) -> (status: Int32, output: String) {
        Self.run([Self.binary] + arguments + ["--config", configPath])
    }

    func shutdown() {
        for mount in mounts.reversed() { _ = Self.run(["umount", "-l", mount], timeout: 10) }
        for process in daemons.values + helpers {
            let pid = process.processIdentifier
            kill(pid, SIGCONT)
            kill(pid, SIGKILL)
            // Reaped here rather than by waitUntilExit, which was seen to wait forever for a child that
            // `ip netns exec` had become (bounded: 5 s).
            var status: Int32 = 0
            for _ in 0..<250 where waitpid(pid, &status, WNOHANG) == 0 { usleep(20_000) }
        }
        // Every service a start script left running (NODE.LABEL.pid).
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for file in files where file.hasSuffix(".pid") {
            let text = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            if let pid = text.flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }), pid > 1 {
                kill(pid, SIGCONT)
                kill(pid, SIGKILL)
            }
        }
        _ = lab("down", "PREFIX")
        if ProcessInfo.processInfo.environment["KEEP_LAB"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    func logs(_ node: String, last count: Int = 25) -> String {
        let text = (try? String(contentsOfFile: log(node), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(count).joined(separator: "\n")
    }

    // MARK: - Processes

    private func spawn(_ arguments: [String], output: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs a command to its end (killed after `timeout` seconds): its exit status (128 + the signal that ended
    /// it) and its output. Spawned and reaped here: Foundation's `waitUntilExit` was seen to wait forever for a
    /// child that had ended, which stalls the whole test run.
    @discardableResult
    static func run(_ arguments: [String], timeout: Double = 120) -> (status: Int32, output: String) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return (-1, "pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 2)
        posix_spawn_file_actions_addclose(&actions, ends[0])
        posix_spawn_file_actions_addclose(&actions, ends[1])
        let argv = (["/usr/bin/env"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let error = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, environ)
        close(ends[1])
        defer { close(ends[0]) }
        guard error == 0 else { return (-1, "\(arguments.first ?? ""): \(String(cString: strerror(error)))") }

        // Read until the child is reaped and its pipe drained; a grandchild that keeps the pipe open (a daemon
        // started in the background) does not hold the caller past the child's end.
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var status: Int32 = 0
        var reaped = false
        var pipeOpen = true
        let deadline = Date().addingTimeInterval(timeout)
        while !reaped || pipeOpen {
            if !reaped {
                let result = waitpid(pid, &status, WNOHANG)
                reaped = result == pid || (result < 0 && errno == ECHILD)
            }
            if pipeOpen {
                var descriptor = pollfd(fd: ends[0], events: Int16(POLLIN), revents: 0)
                if poll(&descriptor, 1, reaped ? 0 : 20) > 0 {
                    let count = read(ends[0], &buffer, buffer.count)
                    if count > 0 {
                        output.append(contentsOf: buffer[0..<count])
                    } else if count == 0 {
                        pipeOpen = false
                    }
                } else if reaped {
                    pipeOpen = false
                }
            } else if !reaped {
                usleep(20_000)
            }
            if !reaped && Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                reaped = true
            }
        }
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, String(decoding: output, as: UTF8.self))
    }

    /// Polls `condition` every 20 ms for at most `seconds`; true when it held.
    static func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    static var binary: String {
        let tests =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = (tests as NSString).deletingLastPathComponent
        while !directory.isEmpty && directory != "/" {
            let candidate = directory + "/understudy"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return repository + "/.build/debug/understudy"
    }
}

struct LabError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
