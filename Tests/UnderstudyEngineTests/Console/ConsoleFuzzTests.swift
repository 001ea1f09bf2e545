import Foundation
import Testing
@testable import UnderstudyConsole
import UnderstudyControl
import UnderstudyCore
import UnderstudySupport

/// The API fuzzed from its own OpenAPI document with schemathesis (scripts/setup installs it from PyPI): no answer
/// is a server error, the daemon survives, and a viewer's run, whose every change is refused, changes nothing.
@Suite(.serialized) struct ConsoleFuzzTests {
    static let document = NodeMetricsTests.repository + "/docs/api/openapi.json"

    /// What a refused request must not change: users and tokens, who holds the group at which epoch, the replica,
    /// and the log of actions.
    struct Snapshot: Equatable {
        let users: String
        let tokens: String
        let roles: String
        let replica: [String]
        let actions: Int
    }

    static func snapshot(_ cluster: TestCluster, _ admin: ConsoleAPITests.Caller) async throws -> Snapshot {
        let alpha = cluster.control("alpha")
        let users = try await onThread { try alpha.send(ControlRequest.users, waitingUpTo: 30) }
        let tokens = try await onThread { try alpha.send(ControlRequest.tokens, waitingUpTo: 30) }
        let status = try await cluster.status("alpha")
        let roles =
            status.groups.map { "\($0.name) \($0.role)" }.joined(separator: ",")
            + (status.failover?.groups.map { " \($0.owner)@\($0.epoch)" }.joined() ?? "")
        let replica = cluster.replica
        let tree = try await onThread { TestTree.snapshot(replica).map { "\($0)" }.sorted() }
        let log = try await admin.call(.GET, "/api/v1/events?limit=1000")
        let events = ((log.json["events"] as? [[String: Any]]) ?? []).filter { $0["kind"] as? String == "action" }.count
        return Snapshot(
            users: "\(users)", tokens: "\(tokens)", roles: roles, replica: tree, actions: events)
    }

    static func fuzz(_ url: String, token: String, checks: String, directory: String) async -> ProcessOutcome {
        await ProcessRunner.run(
            "schemathesis run '\(document)' --url '\(url)' --header 'Authorization: Bearer \(token)' --tls-verify false "
                + "--checks \(checks) --max-examples 25 --request-timeout 20 --seed 7 "
                + "--exclude-path /api/v1/events/stream --exclude-path /api/v1/logout --exclude-path-regex ^/health/ --no-color "
                + "--report vcr --report-dir '\(directory)'",
            timeout: 900, outputLimit: 1 << 20)
    }

    @Test func fuzzingTheAPI_findsNoServerError_andAViewersRefusedRequestsChangeNothing() async throws {
        let cluster = try ConsoleServiceTests.consoles("api-fuzz")
        defer { Task { await cluster.remove() } }
        TestTree.write(cluster.source, "a.txt", "hello")
        let consoles = try await ConsoleServiceTests.start(cluster)
        _ = try await cluster.sync()
        let viewer = try await ConsoleAPITests.token(cluster, "alpha", role: .viewer)
        let admin = try await ConsoleAPITests.token(cluster, "alpha", role: .admin)
        let base = consoles["alpha"]!.base

        let reader = ConsoleAPITests.Caller(consoles["alpha"]!).with(token: admin)
        let before = try await Self.snapshot(cluster, reader)
        // The reports stay after the test (the cluster's directory is removed), for a failure to be read.
        let reports = "/tmp/understudy-fuzz-reports"
        let viewerRun = await Self.fuzz(base, token: viewer, checks: "all", directory: reports + "/viewer")
        #expect(viewerRun.succeeded, "schemathesis as a viewer (\(reports)/viewer):\n\(viewerRun.output.suffix(6000))")
        let after = try await Self.snapshot(cluster, reader)
        #expect(after == before, "a viewer's requests changed something")

        let adminRun = await Self.fuzz(
            base, token: admin, checks: "not_a_server_error", directory: reports + "/admin")
        #expect(adminRun.succeeded, "schemathesis as an admin:\n\(adminRun.output.suffix(6000))")
        #expect(try await consoles["alpha"]!.get("/health/live").status == 200, "the daemon survived")
    }
}
