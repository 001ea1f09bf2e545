#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// An agentless primary: alpha runs no understudy, only an OpenSSH server and its web service; beta mounts alpha's
/// data directory with sshfs (FUSE) and scans it into its replica. Creates, edits, renames and deletes arrive
/// within the scan interval; an unmounted mount point (an empty directory) never empties the replica; when alpha's
/// service dies, beta fences it, takes its address and serves the replica there.
@Suite(.serialized) struct AgentlessScenarioTests {
    @Test func agentlessPrimary_isMirroredThroughSSHFS_andTakenOverAtItsAddress() throws {
        guard getuid() == 0 else {
            Issue.record("needs root (network namespaces, FUSE mounts)")
            return
        }
        for tool in ["/usr/sbin/sshd", "/usr/bin/sshfs"] where !FileManager.default.isExecutableFile(atPath: tool) {
            Issue.record("\(tool) is missing; scripts/setup installs it")
            return
        }
        let lab = try FailoverLab("ag")
        defer { lab.shutdown() }
        let directory = lab.directory
        let data = directory + "/alpha-data"
        let area = directory + "/mounts"
        let mount = area + "/filer"
        let replica = directory + "/replica"
        try FileManager.default.createDirectory(atPath: data + "/docs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        // `ip netns exec` gives the daemon a copy of the mounts: a shared mount here passes it the mounts made
        // below later (and their unmounts), as the host's mounts reach a daemon run by systemd.
        for step in [["mount", "--bind", area, area], ["mount", "--make-shared", area]] {
            let done = FailoverLab.run(step)
            try #require(done.status == 0, "\(step.joined(separator: " ")): \(done.output)")
        }
        lab.mounts.append(area)
        try "canary of alpha\n".write(toFile: data + "/canary.txt", atomically: true, encoding: .utf8)
        try "first\n".write(toFile: data + "/docs/a.txt", atomically: true, encoding: .utf8)

        // alpha: an OpenSSH server on the dedicated link, and its web service at the service address.
        try startSSHServer(lab, keys: directory + "/ssh")
        try startAlphaService(lab, serving: data, log: "alpha-web.log")

        // beta: alpha's directory mounted over sshfs (no directory cache: the scan sees the server's tree).
        let sshfs = mountSSHFS(lab, data: data, at: mount)
        try #require(sshfs.status == 0, "sshfs: \(sshfs.output)")
        lab.mounts.append(mount)

        try writeServiceScripts(lab, replica: replica)
        try lab.writeConfiguration(
            """
            cluster = "lab"
            certificates = "\(directory)/certs"
            [heartbeat]
            interval = "100ms"
            dead_time = "600ms"

            [nodes.beta]
            address = "10.77.2.2:7700"
            state_dir = "\(directory)/beta"
            [nodes.beta.links]
            lan = "10.77.1.2"

            [groups.files]
            agentless = true
            primary = "filer"
            standby = "beta"
            scan_interval = "1s"
            verify_interval = "3s"
            service_address = "\(FailoverLab.serviceAddress)/24"
            interface = "lan0"
            failover = "auto"
            fence = "\(directory)/fence.sh"
            start = ["\(directory)/start.sh"]
            stop = ["\(directory)/stop.sh"]
            [[groups.files.checks]]
            name = "canary"
            type = "http"
            url = "\(Self.canaryURL)"
            expect_body = "canary"
            interval = "200ms"
            timeout = "300ms"
            fall = 3

            [[groups.files.shares]]
            name = "data"
            source = "\(mount)"
            replica = "\(replica)"
            """)
        try lab.start("beta")

        let arrived = { (path: String, text: String?) -> Bool in
            FailoverLab.waitUntil(seconds: 20) {
                (try? String(contentsOfFile: replica + "/" + path, encoding: .utf8)) == text
            }
        }
        #expect(arrived("canary.txt", "canary of alpha\n"), "the first scan: \(lab.logs("beta"))")
        #expect(arrived("docs/a.txt", "first\n"))

        // Changes on the primary arrive within the scan interval (and sshfs's own delays).
        try "second\n".write(toFile: data + "/docs/a.txt", atomically: false, encoding: .utf8)
        try "new file\n".write(toFile: data + "/docs/b.txt", atomically: true, encoding: .utf8)
        #expect(arrived("docs/a.txt", "second\n"), "an edit: \(lab.logs("beta"))")
        #expect(arrived("docs/b.txt", "new file\n"), "a create")
        #expect(rename(data + "/docs/b.txt", data + "/docs/c.txt") == 0)
        #expect(mkdir(data + "/moved", 0o755) == 0)
        #expect(rename(data + "/docs/a.txt", data + "/moved/a.txt") == 0)
        #expect(arrived("docs/c.txt", "new file\n"), "a rename")
        #expect(arrived("moved/a.txt", "second\n"), "a move across directories")
        #expect(arrived("docs/b.txt", nil) && arrived("docs/a.txt", nil), "the old names go")
        #expect(unlink(data + "/docs/c.txt") == 0)
        #expect(arrived("docs/c.txt", nil), "a delete")

        // A replica file changed behind understudy's back (same size and time): the next verification reads both
        // sides and copies it again.
        let canary = replica + "/canary.txt"
        try "CANARY OF ALPHA\n".write(toFile: canary + ".new", atomically: false, encoding: .utf8)
        #expect(FailoverLab.run(["touch", "-r", canary, canary + ".new"]).status == 0)
        #expect(rename(canary + ".new", canary) == 0)
        #expect(arrived("canary.txt", "canary of alpha\n"), "verification repairs it: \(lab.logs("beta"))")
        #expect(
            (try? String(contentsOfFile: lab.log("beta"), encoding: .utf8))?.contains("differed on the replica") == true
        )

        // The mount gone, its mount point is an empty directory: the scan refuses it, and the replica keeps all.
        #expect(FailoverLab.run(["umount", "-l", mount]).status == 0)
        #expect(
            FailoverLab.waitUntil(seconds: 10) { lab.status("beta").contains("nothing is synced until it is") },
            "the share's status says why: \(lab.status("beta"))")
        Thread.sleep(forTimeInterval: 2)
        #expect(FileManager.default.fileExists(atPath: replica + "/moved/a.txt"), "nothing deleted from the replica")
        #expect(FileManager.default.fileExists(atPath: replica + "/canary.txt"))
        let remount = mountSSHFS(lab, data: data, at: mount)
        try #require(remount.status == 0, "sshfs: \(remount.output)")
        try "after the remount\n".write(toFile: data + "/late.txt", atomically: true, encoding: .utf8)
        #expect(arrived("late.txt", "after the remount\n"), "scanning again once mounted: \(lab.logs("beta"))")

        // alpha's service dies: the checks fail, beta fences alpha (its address goes), takes the address over and
        // serves the replica there.
        #expect(
            lab.exec("alpha", ["pkill", "-9", "-f", "http.server --bind \(FailoverLab.serviceAddress)"]).status == 0)
        #expect(
            FailoverLab.waitUntil(seconds: 20) {
                lab.clientAnswer(url: Self.canaryURL) == "canary of alpha" && lab.holdsServiceAddress("beta")
            },
            "beta serves the replica at alpha's address: \(lab.logs("beta", last: 40))")
        #expect(!lab.holdsServiceAddress("alpha"), "the fence removed alpha's address")
        #expect(lab.clientAnswer(url: "http://\(FailoverLab.serviceAddress)/late.txt") == "after the remount")
        let status = lab.status("beta")
        #expect(status.contains("\"owner\" : \"beta\"") || status.contains("\"owner\":\"beta\""), "\(status)")
        // The replica is the live data now: a change on the mount no longer reaches it.
        try "written on alpha after the takeover\n".write(toFile: data + "/late.txt", atomically: true, encoding: .utf8)
        Thread.sleep(forTimeInterval: 3)
        #expect(
            (try? String(contentsOfFile: replica + "/late.txt", encoding: .utf8)) == "after the remount\n",
            "nothing copied over the live data")

        // While beta serves, its service writes and deletes; then alpha is repaired and the group handed back.
        try "written while beta served\n".write(toFile: replica + "/during.txt", atomically: true, encoding: .utf8)
        #expect(unlink(replica + "/moved/a.txt") == 0)
        let failback = lab.understudy(["failback", "files", "--node", "beta"])
        #expect(failback.status == 0, "\(failback.output)\n\(lab.logs("beta", last: 30))")
        #expect(failback.output.contains("kept as conflict copies"), "\(failback.output)")
        #expect(!lab.holdsServiceAddress("beta"), "beta gave the address up")
        #expect(
            (try? String(contentsOfFile: data + "/during.txt", encoding: .utf8)) == "written while beta served\n",
            "what was written on beta went back to alpha")
        #expect(!FileManager.default.fileExists(atPath: data + "/moved/a.txt"), "and what was deleted there")
        // late.txt changed on both sides: the serving node's version keeps the name, alpha's is kept beside it on
        // both sides (never overwritten without a copy).
        #expect((try? String(contentsOfFile: data + "/late.txt", encoding: .utf8)) == "after the remount\n")
        let copies = ((try? FileManager.default.contentsOfDirectory(atPath: data)) ?? []).filter {
            $0.hasPrefix("late.understudy-conflict-filer-")
        }
        #expect(copies.count == 1, "\(copies)")
        if let copy = copies.first {
            #expect(
                (try? String(contentsOfFile: data + "/" + copy, encoding: .utf8))
                    == "written on alpha after the takeover\n")
            #expect(FileManager.default.fileExists(atPath: replica + "/" + copy))
        }
        #expect(lab.understudy(["conflicts", "list", "files", "--node", "beta"]).output.contains("late.txt"))
        // filer holds the group again: beta scans its mount as before, and waits for alpha's service to be started
        // (by hand: nothing of understudy runs there) before it judges it by its checks again.
        Thread.sleep(forTimeInterval: 2)
        #expect(!lab.holdsServiceAddress("beta"), "no takeover while alpha's service was not started yet")
        try startAlphaService(lab, serving: data, log: "alpha-web-again.log")
        try "after the failback\n".write(toFile: data + "/after.txt", atomically: true, encoding: .utf8)
        #expect(arrived("after.txt", "after the failback\n"), "scanning again: \(lab.logs("beta", last: 20))")
    }

    static let canaryURL = "http://\(FailoverLab.serviceAddress)/canary.txt"

    /// sshfs run in beta's network namespace but the host's mount namespace (where the daemon's mounts come from).
    private func mountSSHFS(_ lab: FailoverLab, data: String, at mount: String) -> (status: Int32, output: String) {
        FailoverLab.run([
            "nsenter", "--net=/run/netns/\(lab.prefix)-beta", "sshfs", "-o",
            "IdentityFile=\(lab.directory)/ssh/client,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,dir_cache=no,ServerAliveInterval=1,ServerAliveCountMax=2",
            "root@10.77.2.1:\(data)", mount,
        ])
    }

    /// alpha's web service: the service address on alpha, and a web server of its data there (as an administrator
    /// starts it; nothing of understudy runs on alpha).
    private func startAlphaService(_ lab: FailoverLab, serving data: String, log: String) throws {
        #expect(
            lab.exec("alpha", ["ip", "addr", "add", "\(FailoverLab.serviceAddress)/24", "dev", "lan0"]).status == 0)
        try lab.startHelper(
            [
                "ip", "netns", "exec", "\(lab.prefix)-alpha", "python3", "-m", "http.server", "--bind",
                FailoverLab.serviceAddress, "80", "--directory", data,
            ], output: lab.directory + "/" + log)
        #expect(FailoverLab.waitUntil(seconds: 10) { lab.clientAnswer(url: Self.canaryURL) == "canary of alpha" })
    }

    /// sshd in alpha's namespace on the dedicated link, with a key for root made here.
    private func startSSHServer(_ lab: FailoverLab, keys: String) throws {
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        for name in ["host", "client"] {
            let made = FailoverLab.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "\(keys)/\(name)"])
            try #require(made.status == 0, "ssh-keygen: \(made.output)")
        }
        try FileManager.default.copyItem(atPath: keys + "/client.pub", toPath: keys + "/authorized")
        try """
        ListenAddress 10.77.2.1
        Port 22
        HostKey \(keys)/host
        AuthorizedKeysFile \(keys)/authorized
        PermitRootLogin prohibit-password
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        StrictModes no
        UsePAM no
        PidFile \(keys)/sshd.pid
        Subsystem sftp internal-sftp
        """.write(toFile: keys + "/sshd_config", atomically: true, encoding: .utf8)
        try lab.startHelper(
            ["ip", "netns", "exec", "\(lab.prefix)-alpha", "/usr/sbin/sshd", "-D", "-e", "-f", keys + "/sshd_config"],
            output: keys + "/sshd.log")
        let listening = FailoverLab.waitUntil(seconds: 10) {
            lab.exec("alpha", ["ss", "-ltn"]).output.contains("10.77.2.1:22")
        }
        try #require(
            listening,
            "sshd does not listen: \((try? String(contentsOfFile: keys + "/sshd.log", encoding: .utf8)) ?? "")")
    }

    /// beta's start and stop scripts (a web server of the replica at the service address) and its fence (alpha's
    /// service address removed, as a power-off would).
    private func writeServiceScripts(_ lab: FailoverLab, replica: String) throws {
        let directory = lab.directory
        let scripts = [
            "start.sh": """
            #!/bin/sh
            pidfile=\(directory)/beta.web.pid
            if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then exit 0; fi
            setsid python3 -m http.server --bind \(FailoverLab.serviceAddress) 80 --directory \(replica) >/dev/null 2>&1 < /dev/null &
            echo $! > "$pidfile"
            """,
            "stop.sh": """
            #!/bin/sh
            pidfile=\(directory)/beta.web.pid
            [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null; rm -f "$pidfile"
            """,
            "fence.sh": """
            #!/bin/sh
            ip netns exec \(lab.prefix)-alpha ip addr del \(FailoverLab.serviceAddress)/24 dev lan0 2>/dev/null
            ! ip netns exec \(lab.prefix)-alpha ip -4 addr show lan0 | grep -q \(FailoverLab.serviceAddress)/
            """,
        ]
        for (name, text) in scripts {
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
            chmod(directory + "/" + name, 0o755)
        }
    }
}
