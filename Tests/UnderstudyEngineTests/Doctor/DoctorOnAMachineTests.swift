#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// `understudy doctor` as an administrator runs it, on real hosts: node `a` in one network namespace, its peer `b`
/// in another, on one bridged segment. The mirror's port is taken by another program, b's host answers but runs no
/// daemon, b's address on the second link does not exist, and the fence command is missing.
@Suite(.serialized) struct DoctorOnAMachineTests {
    @Test func doctor_findsATakenPort_aSilentLink_aPeerWithoutDaemon_andAMissingFence() async throws {
        let lan = try BridgedLAN.create()
        defer { lan.delete() }
        try lan.a.ip("addr", "add", "10.77.1.1/24", "dev", "eth0")
        try lan.a.ip("addr", "add", "10.77.2.1/24", "dev", "eth0")
        try lan.b.ip("addr", "add", "10.77.1.2/24", "dev", "eth0")
        let root = TestTree.makeTemporaryDirectory("doctor")
        defer { TestTree.remove(root) }
        let config = root + "/understudy.toml"
        try """
        cluster = "doctor"
        certificates = "\(root)/certs"
        [nodes.a]
        address = "10.77.1.1:7700"
        state_dir = "\(root)/a-state"
        [nodes.a.links]
        lan = "10.77.1.1"
        backup = "10.77.2.1"
        [nodes.b]
        address = "10.77.1.2:7700"
        state_dir = "\(root)/b-state"
        [nodes.b.links]
        lan = "10.77.1.2"
        backup = "10.77.2.2"
        [groups.files]
        primary = "a"
        standby = "b"
        fence = "/nonexistent/fence-b --now"
        [[groups.files.shares]]
        name = "data"
        source = "\(root)/source"
        replica = "\(root)/replica"
        """.write(toFile: config, atomically: true, encoding: .utf8)
        mkdir(root + "/source", 0o755)
        let initialized = try ChildProcess.run(DaemonProcess.binary, ["init", "--config", config])
        #expect(initialized.status == 0, "\(initialized.output)")
        // Another program on a's mirror port.
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(devNull) }
        let squatter = try ChildProcess(
            executable: "/usr/sbin/ip",
            arguments: [
                "netns", "exec", lan.a.name, "python3", "-c",
                "import socket,time\ns=socket.socket()\ns.bind(('10.77.1.1',7700))\ns.listen()\ntime.sleep(60)",
            ], output: devNull)
        defer { squatter.kill9() }
        // Python starts slowly on a busy machine: up to a minute.
        var squatting = false
        for _ in 0..<1200 where !squatting {
            squatting = (try? await lan.a.run { Self.listening(port: 7700) }) == true
            if !squatting { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(squatting, "the squatter never listened on 10.77.1.1:7700")
        let doctor = {
            try ChildProcess.run(
                "/usr/sbin/ip",
                [
                    "netns", "exec", lan.a.name, DaemonProcess.binary, "doctor", "--config", config, "--node", "a",
                    "--timeout", "1",
                ] + $0)
        }
        let (status, output) = try doctor([])
        #expect(status == 1, "\(output)")
        let lines = output.split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        }
        for expected in [
            "problem port 10.77.1.1:7700/tcp, for the mirror, is taken by another program",
            "ok port 10.77.1.1:7701/udp is free for heartbeats on link lan",
            "warning peer b (10.77.1.2) is reachable, but nothing listens on 10.77.1.2:7700",
            "ok peer b answers on link lan: 10.77.1.2 from 10.77.1.1",
            "problem peer no answer from b on link backup: 10.77.2.2 from 10.77.2.1: its heartbeats would be lost",
            "problem command files fence: `/nonexistent/fence-b` is not an executable here (in `/nonexistent/fence-b --now`)",
            "ok certificates ca.pem, a.pem, a-key.pem, cluster.key in \(root)/certs",
        ] {
            #expect(lines.contains(expected), "no '\(expected)' in:\n\(output)")
        }
        #expect(lines.last?.hasPrefix("3 problems") == true, "\(output)")
        #expect(output.contains("→ `ss -tlnp 'sport = :7700'` names it"), "\(output)")

        let json = try doctor(["--json"])
        #expect(json.status == 1)
        let findings = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]]
        #expect(findings?.filter { $0["verdict"] as? String == "problem" }.count == 3, "\(json.output)")
    }

    /// Whether something listens on TCP `port` in this thread's namespace (/proc/thread-self/net/tcp: /proc/net is the
    /// process's, whose main thread stays in the machine's namespace).
    static func listening(port: Int) -> Bool {
        let table = (try? String(contentsOfFile: "/proc/thread-self/net/tcp", encoding: .utf8)) ?? ""
        let hex = String(format: ":%04X", port)
        return table.split(separator: "\n").contains { $0.contains(hex) && $0.contains(" 0A ") }
    }
}
