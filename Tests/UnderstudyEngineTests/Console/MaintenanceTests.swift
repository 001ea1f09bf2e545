import Foundation
import Testing
import UnderstudyControl
import UnderstudyCore
import UnderstudySupport

/// Maintenance asked on one node holds automatic failover on the other: with the primary gone, the standby
/// reports the failure and takes nothing over; the hold shows in the status and the metrics of both nodes.
@Suite(.serialized) struct MaintenanceTests {
    @Test func maintenanceAskedOnThePrimary_holdsTheStandbysTakeover_andShowsEverywhere() async throws {
        let heartbeatPort = try TestPorts.take()
        let cluster = try TestCluster(
            label: "maintenance",
            trailer: "[heartbeat]\nport = \(heartbeatPort)\ninterval = \"200ms\"\ndead_time = \"1500ms\"",
            nodeExtra: [
                "alpha": "console = \"127.0.0.1:\(try TestPorts.take())\"\n[nodes.alpha.links]\nlan = \"127.0.0.1\"",
                "beta": "console = \"127.0.0.1:\(try TestPorts.take())\"\n[nodes.beta.links]\nlan = \"127.0.0.2\"",
            ])
        defer { Task { await cluster.remove() } }
        let consoles = try await ConsoleServiceTests.start(cluster)
        _ = try await cluster.sync()
        let token = try await ConsoleAPITests.token(cluster, "alpha", role: .operator)
        let alpha = ConsoleAPITests.Caller(consoles["alpha"]!).with(token: token)
        let on = try await alpha.call(.POST, "/api/v1/groups/files/maintenance", #"{"on": true}"#)
        #expect(on.status == 200, "\(on.body)")
        #expect((on.json["message"] as? String)?.contains("automatic failover is held") == true)
        #expect(
            try await UsersSpreadTests.within(60) {
                try await cluster.status("beta").groups.first?.maintenance?.by
                    == "token test-operator (\(token.split(separator: "_")[1]))"
            }, "the hold reached beta")
        let metrics = try await consoles["beta"]!.get("/metrics").body
        #expect(metrics.contains("understudy_group_maintenance{group=\"files\"} 1.0"))

        await cluster.stop("alpha")
        try await Task.sleep(for: .seconds(5))
        let status = try await cluster.status("beta")
        #expect(status.failover?.groups.first?.owner == "alpha", "nothing was taken over in maintenance")
        #expect(cluster.logs.all.contains { $0.contains("is in maintenance") }, "the failure was reported")

        // Ending it on beta, where the failure was seen: `understudy failover` takes over when asked.
        let betaClient = cluster.control("beta")
        let off = try await onThread {
            try betaClient.send(ControlRequest.maintenance(group: "files", on: false), waitingUpTo: 30)
        }
        #expect(off.ok && off.message?.contains("is over") == true, "\(off)")
        let failover = try await onThread {
            try betaClient.send(ControlRequest.failover(group: "files"), waitingUpTo: 30)
        }
        #expect(failover.ok, "\(failover)")
    }
}
