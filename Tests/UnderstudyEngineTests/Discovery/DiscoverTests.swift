#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// `understudy discover` against a real Samba server (smbd) in one network namespace, asked from another.
@Suite(.serialized) struct DiscoverTests {
    @Test func discover_listsTheSambaServersDiskShares_andPrintsTheChosenOnesConfiguration() async throws {
        let lan = try BridgedLAN.create()
        defer { lan.delete() }
        try lan.a.ip("addr", "add", "10.77.1.1/24", "dev", "eth0")
        try lan.b.ip("addr", "add", "10.77.1.2/24", "dev", "eth0")
        let root = TestTree.makeTemporaryDirectory("discover")
        defer { TestTree.remove(root) }
        for directory in ["private", "lock", "state", "cache", "pid", "ncalrpc", "public", "projects", "admin"] {
            mkdir(root + "/" + directory, 0o755)
        }
        try """
        [global]
          workgroup = TESTLAB
          server role = standalone server
          map to guest = Bad User
          private dir = \(root)/private
          lock directory = \(root)/lock
          state directory = \(root)/state
          cache directory = \(root)/cache
          pid directory = \(root)/pid
          ncalrpc dir = \(root)/ncalrpc
          log file = \(root)/log.%m
          interfaces = 10.77.1.1/24
          bind interfaces only = yes
          smb ports = 445
          disable netbios = yes
          load printers = no
          printcap name = /dev/null
        [public]
          path = \(root)/public
          comment = Public files
          guest ok = yes
          read only = yes
        [projects]
          path = \(root)/projects
          comment = The projects
          guest ok = yes
        [admin$]
          path = \(root)/admin
          guest ok = yes
        """.write(toFile: root + "/smb.conf", atomically: true, encoding: .utf8)
        let log = open(root + "/smbd.log", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        defer { close(log) }
        let smbd = try ChildProcess(
            executable: "/usr/sbin/ip",
            arguments: [
                "netns", "exec", lan.a.name, "/usr/sbin/smbd", "--foreground", "--no-process-group",
                "--configfile=\(root)/smb.conf", "--debug-stdout",
            ], output: log)
        defer { smbd.kill9() }
        var listening = false
        for _ in 0..<1200 where !listening {
            listening = (try? await lan.a.run { DoctorOnAMachineTests.listening(port: 445) }) == true
            if !listening { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(
            listening,
            "smbd never listened: \((try? String(contentsOfFile: root + "/smbd.log", encoding: .utf8)) ?? "")")
        let discover = {
            try ChildProcess.run(
                "/usr/sbin/ip", ["netns", "exec", lan.b.name, DaemonProcess.binary, "discover", "10.77.1.1"] + $0)
        }
        let (status, output) = try discover(["--share", "projects", "--standby", "beta"])
        #expect(status == 0, "\(output)\n\((try? String(contentsOfFile: root + "/smbd.log", encoding: .utf8)) ?? "")")
        let lines = output.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(lines.contains("SMB public Public files"), "\(output)")
        #expect(lines.contains("SMB projects The projects"), "\(output)")
        #expect(!output.contains("admin$") && !output.contains("IPC$"), "\(output)")
        // Only the chosen share is configured.
        #expect(output.contains("[[groups.10-77-1-1.shares]]\nname = \"projects\""), "\(output)")
        #expect(!output.contains("name = \"public\""))
        #expect(output.contains("standby = \"beta\""))

        let json = try discover(["--json"])
        #expect(json.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        let shares = report?["shares"] as? [[String: Any]] ?? []
        #expect(shares.compactMap { $0["name"] as? String } == ["public", "projects"], "\(json.output)")

        let unknown = try discover(["--share", "nothing"])
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("10.77.1.1 offers no share nothing; it offers: public, projects"))
        let hostile = try discover(["--user=-oops"])
        #expect(hostile.status != 0 && hostile.output.contains("is not a user name"))
        let badHost = try ChildProcess.run(DaemonProcess.binary, ["discover", "host name; rm -rf /"])
        #expect(badHost.status != 0 && badHost.output.contains("must be a host name or an address"))
    }
}
