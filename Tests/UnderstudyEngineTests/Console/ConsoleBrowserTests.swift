import Foundation
import Testing
import UnderstudyControl
import UnderstudyCore
import UnderstudySupport

/// The web console in a real browser (Debian's chromium and chromium-driver, selenium from PyPI; scripts/setup
/// installs them), against two real daemons with failover: each role signs in and sees what it may, an operator
/// restores a file from an archive, runs a switchover and watches the overview show the new holder, and a
/// phone-sized screen still fits.
/// Screenshots go to $UNDERSTUDY_SCREENSHOTS (the ones in docs/images/ were made so), else a temporary directory.
@Suite(.serialized) struct ConsoleBrowserTests {
    @Test func eachRoleSignsIn_andAnOperatorsSwitchover_showsTheNewHolder() async throws {
        let heartbeatPort = try TestPorts.take()
        let cluster = try TestCluster(
            label: "console-browser", groupExtra: "failover = \"manual\"",
            trailer: """
                [[groups.files.archives]]
                every = "daily"

                [heartbeat]
                port = \(heartbeatPort)
                interval = "200ms"
                dead_time = "3s"
                """,
            nodeExtra: [
                "alpha": "console = \"127.0.0.1:\(try TestPorts.take())\"\n[nodes.alpha.links]\nlan = \"127.0.0.1\"",
                "beta": "console = \"127.0.0.1:\(try TestPorts.take())\"\n[nodes.beta.links]\nlan = \"127.0.0.2\"",
            ])
        defer { Task { await cluster.remove() } }
        TestTree.write(cluster.source, "docs/report.txt", "quarterly")
        TestTree.write(cluster.source, "photos/cat.jpg", String(repeating: "meow", count: 1000))
        let consoles = try await ConsoleServiceTests.start(cluster)
        _ = try await cluster.sync()
        // Users are added on alpha; they reach beta by themselves.
        try await ConsoleAPITests.addUser(cluster, "alpha", "admin", .admin)
        try await ConsoleAPITests.addUser(cluster, "alpha", "olivia", .operator)
        try await ConsoleAPITests.addUser(cluster, "alpha", "victor", .viewer)
        #expect(
            try await UsersSpreadTests.within(60) { try await UsersSpreadTests.users(cluster, "beta").count == 3 },
            "the users reached beta")
        let beta = cluster.control("beta")
        let archived = try await onThread {
            try beta.send(ControlRequest.archiveNow(group: "files", share: "data"), waitingUpTo: 60)
        }
        #expect(archived.ok, "\(archived)")
        // The switchover needs both nodes to see each other on the link.
        let alpha = cluster.control("alpha")
        var ready = false
        for _ in 0..<100 where !ready {
            let plan = try await onThread {
                try alpha.send(ControlRequest.switchover(group: "files", dryRun: true), waitingUpTo: 10)
            }
            ready = plan.ok
            if !ready { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(ready, "a switchover would be taken: \(cluster.recentLog)")

        let shots =
            ProcessInfo.processInfo.environment["UNDERSTUDY_SCREENSHOTS"]
            ?? TestTree.makeTemporaryDirectory("console-shots")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/console_browser.py"
        let restored = cluster.root + "/restored"
        let outcome = await ProcessRunner.run(
            executable: "/usr/bin/env",
            arguments: ["python3", script, consoles["alpha"]!.base, consoles["beta"]!.base, shots, restored],
            timeout: 600, outputLimit: 1 << 20)
        #expect(outcome.succeeded, "the browser's run: \(outcome.output.suffix(4000)) | \(cluster.recentLog)")
        let copy = try? String(contentsOfFile: restored + "/report.txt", encoding: .utf8)
        #expect(copy == "quarterly", "the console's restore wrote the archived file where it was asked")
        let status = try await cluster.status("alpha")
        #expect(status.failover?.groups.first?.owner == "beta", "beta serves files after the console's switchover")
        for name in ["console-overview", "console-group", "console-archives", "console-phone"] {
            #expect(FileManager.default.fileExists(atPath: "\(shots)/\(name).png"), "\(name).png written")
        }
    }
}
