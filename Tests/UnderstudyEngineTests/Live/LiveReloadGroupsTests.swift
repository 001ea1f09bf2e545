#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyControl
import UnderstudyCore
import UnderstudySupport

/// A group added to running nodes, then removed, then added again, by `understudy reload` on both: the new group is
/// mirrored and watched for failover (heartbeats, its check), the removed one is let go and leaves the status, and the
/// group that was there all along keeps mirroring through every reload on the connection it had.
@Suite(.serialized) struct LiveReloadGroupsTests {
    /// Alpha and beta with group `files`, heartbeats over a loopback link each (a dead time long enough that no test
    /// here takes anything over).
    static func linkedCluster(_ label: String) throws -> TestCluster {
        let heartbeatPort = try TestPorts.take()
        return try TestCluster(
            label: label,
            trailer: "[heartbeat]\nport = \(heartbeatPort)\ninterval = \"200ms\"\ndead_time = \"30s\"",
            nodeExtra: [
                "alpha": "[nodes.alpha.links]\nlan = \"127.0.0.1\"", "beta": "[nodes.beta.links]\nlan = \"127.0.0.2\"",
            ])
    }

    @Test func aGroupAddedRemovedAndAddedAgain_isMirroredAndWatched_letGo_andTheOtherGroupNeverReconnects()
        async throws
    {
        let cluster = try Self.linkedCluster("reload-groups")
        defer { Task { await cluster.remove() } }
        let root = cluster.root
        try FileManager.default.createDirectory(atPath: root + "/mail-source", withIntermediateDirectories: true)
        let original = try String(contentsOfFile: cluster.configPath, encoding: .utf8)
        let service = try ReservedPort(listening: true)
        defer { service.release() }
        let withMail =
            original + """

                [groups.mail]
                primary = "alpha"
                standby = "beta"
                [[groups.mail.shares]]
                name = "spool"
                source = "\(root)/mail-source"
                replica = "\(root)/mail-replica"
                [[groups.mail.checks]]
                name = "smtp"
                type = "tcp"
                target = "127.0.0.1:\(service.port)"
                [groups.mail.witness]
                type = "tcp"
                target = "127.0.0.1:\(service.port)"

                """
        let pair = try DaemonPair(cluster)
        defer { pair.terminate() }
        let (alphaLog, betaLog) = (pair.alphaLog, pair.betaLog)
        let text = DaemonPair.text
        let client = cluster.control("beta")
        func status() async throws -> NodeStatusReport? {
            try await onThread { try client.send(ControlRequest.status, waitingUpTo: 30) }.status
        }
        try "first".write(toFile: cluster.source + "/first.txt", atomically: true, encoding: .utf8)
        try "kept".write(toFile: root + "/mail-source/before.txt", atomically: true, encoding: .utf8)
        #expect(try await pair.arrives("first.txt", 60), "\(text(betaLog).suffix(2000))")
        #expect(pair.connections(serving: "files") == 1, "\(text(betaLog).suffix(2000))")

        // The unchanged group's lag probe: a file every 25 ms all through the reloads.
        let writer = DaemonPair.writeSteadily(into: cluster.source, count: 160, text: "file")
        try withMail.write(toFile: cluster.configPath, atomically: true, encoding: .utf8)
        try pair.reloadBoth(expecting: "group mail added")
        try "new".write(toFile: root + "/mail-source/after.txt", atomically: true, encoding: .utf8)
        #expect(try await DaemonPair.there(root + "/mail-replica/before.txt"), "\(text(betaLog).suffix(3000))")
        #expect(try await DaemonPair.there(root + "/mail-replica/after.txt"), "\(text(betaLog).suffix(3000))")
        #expect(try await status()?.groups.map(\.name) == ["files", "mail"])
        // Watched for failover as a group of the start is: its machine, its peer's heartbeats, its check.
        var watched: GroupFailoverStatus?
        var check: CheckStatus?
        for _ in 0..<200 {
            let failover = try await status()?.failover
            watched = failover?.groups.first { $0.group == "mail" }
            check = failover?.checks.first { $0.group == "mail" && $0.name == "smtp" }
            if watched?.peerPhase != nil && check?.lastResultAgo != nil { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(watched?.owner == "alpha" && watched?.peerPhase != nil, "\(String(describing: watched))")
        #expect(check?.lastResultAgo != nil, "\(String(describing: check))")
        #expect(text(betaLog).contains("failover for group mail: auto"), "\(text(betaLog).suffix(3000))")

        try original.write(toFile: cluster.configPath, atomically: true, encoding: .utf8)
        try pair.reloadBoth(expecting: "group mail removed")
        #expect(try await status()?.groups.map(\.name) == ["files"])
        #expect(try await status()?.failover?.groups.map(\.group) == ["files"])
        #expect(try await status()?.failover?.checks.contains { $0.group == "mail" } == false)
        try "gone".write(toFile: root + "/mail-source/late.txt", atomically: true, encoding: .utf8)
        try "data".write(toFile: cluster.source + "/still.txt", atomically: true, encoding: .utf8)
        #expect(try await pair.arrives("still.txt", 30), "the group kept is still mirrored")
        #expect(!FileManager.default.fileExists(atPath: root + "/mail-replica/late.txt"), "a removed group is let go")
        #expect(FileManager.default.fileExists(atPath: root + "/mail-replica/after.txt"), "its replica stays")
        #expect(text(alphaLog).contains("group mail removed"), "\(text(alphaLog).suffix(3000))")

        // Added again: mirrored again, with what came meanwhile.
        try withMail.write(toFile: cluster.configPath, atomically: true, encoding: .utf8)
        try pair.reloadBoth(expecting: "group mail added")
        #expect(try await DaemonPair.there(root + "/mail-replica/late.txt"), "\(text(betaLog).suffix(3000))")
        await writer.value
        #expect(try await pair.arrives("during-159.txt", 30), "\(text(betaLog).suffix(3000))")
        #expect(DaemonPair.missing(in: cluster.replica, count: 160, text: "file") == [])
        // The group there all along never reconnected.
        #expect(pair.connections(serving: "files") == 1, "\(text(betaLog).suffix(3000))")
        #expect(!text(betaLog).contains("take effect when the daemon restarts"))
    }

    /// A group added to nodes that cannot start it before a restart (its service address would be the first on nodes
    /// whose addresses are guarded from the start): each node says so with the reason, nothing of the group runs, and
    /// the next reload of the same file finds it still waiting.
    @Test func aGroupTheNodesCannotStartNow_isNamedForTheRestartWithWhy_andNothingOfItRuns() async throws {
        let cluster = try Self.linkedCluster("reload-groups-refused")
        defer { Task { await cluster.remove() } }
        let root = cluster.root
        try FileManager.default.createDirectory(atPath: root + "/web-source", withIntermediateDirectories: true)
        try "page".write(toFile: root + "/web-source/index.html", atomically: true, encoding: .utf8)
        let original = try String(contentsOfFile: cluster.configPath, encoding: .utf8)
        let pair = try DaemonPair(cluster)
        defer { pair.terminate() }
        let text = DaemonPair.text
        try "first".write(toFile: cluster.source + "/first.txt", atomically: true, encoding: .utf8)
        #expect(try await pair.arrives("first.txt", 60), "\(text(pair.betaLog).suffix(2000))")

        try
            (original
                + """

                [groups.web]
                primary = "alpha"
                standby = "beta"
                service_address = "10.213.7.10/32"
                interface = "lo"
                [[groups.web.shares]]
                name = "site"
                source = "\(root)/web-source"
                replica = "\(root)/web-replica"

                """).write(toFile: cluster.configPath, atomically: true, encoding: .utf8)
        for _ in 0..<2 {
            for node in ["alpha", "beta"] {
                let (status, output) = try ChildProcess.run(
                    DaemonProcess.binary, ["reload", "--config", cluster.configPath, "--node", node])
                #expect(status == 0, "\(output)")
                #expect(
                    output.contains(
                        "these changes take effect when the daemon restarts: group web added (could not be taken now: node \(node) held no service address when its daemon started"
                    ), "\(output)")
            }
        }
        let client = cluster.control("beta")
        let report = try await onThread { try client.send(ControlRequest.status, waitingUpTo: 30) }.status
        #expect(report?.groups.map(\.name) == ["files"])
        #expect(report?.failover?.groups.map(\.group) == ["files"])
        try await Task.sleep(for: .seconds(1))
        #expect(!FileManager.default.fileExists(atPath: root + "/web-replica/index.html"), "nothing of it runs")
        try "still".write(toFile: cluster.source + "/still.txt", atomically: true, encoding: .utf8)
        #expect(try await pair.arrives("still.txt", 30), "the running group goes on")
    }
}
