import Foundation
import Testing
import UnderstudyControl
import UnderstudyCore
import UnderstudySupport

/// Users and tokens are the cluster's: a change made on one node reaches the other over the peers' own TLS, so a
/// token made on one node works on the other, and one revoked anywhere is refused everywhere.
@Suite(.serialized) struct UsersSpreadTests {
    static func users(_ cluster: TestCluster, _ node: String) async throws -> [String] {
        let client = cluster.control(node)
        let response = try await onThread { try client.send(ControlRequest.users, waitingUpTo: 30) }
        guard case .users(let users) = response else { throw ConsoleTestFailure("\(response)") }
        return users.map(\.name)
    }

    /// Polls `condition` every 100 ms for at most `seconds`.
    static func within(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    @Test func aUserAddedOnOneNode_reachesTheOther_andATokenRevokedAnywhereIsRefusedEverywhere() async throws {
        let cluster = try ConsoleServiceTests.consoles("users-spread")
        defer { Task { await cluster.remove() } }
        let consoles = try await ConsoleServiceTests.start(cluster)
        try await ConsoleAPITests.addUser(cluster, "alpha", "alice", .admin)
        #expect(try await Self.within(60) { try await Self.users(cluster, "beta").contains("alice") }, "alice on beta")

        // A token made on beta is taken on alpha; revoked on alpha, beta refuses it too.
        let token = try await ConsoleAPITests.token(cluster, "beta", role: .viewer)
        let onAlpha = ConsoleAPITests.Caller(consoles["alpha"]!).with(token: token)
        let onBeta = ConsoleAPITests.Caller(consoles["beta"]!).with(token: token)
        #expect(try await Self.within(60) { try await onAlpha.call(.GET, "/api/v1/status").status == 200 })
        let id = String(token.split(separator: "_")[1])
        let alpha = cluster.control("alpha")
        let revoked = try await onThread { try alpha.send(ControlRequest.tokenRevoke(id: id), waitingUpTo: 30) }
        #expect(revoked.ok, "\(revoked)")
        #expect(
            try await Self.within(60) { try await onBeta.call(.GET, "/api/v1/status").status == 401 },
            "revoked on beta too: \(cluster.logs.all.filter { $0.contains("users and tokens") || $0.contains("peer") }.suffix(20))"
        )

        // Removing on beta removes on alpha (and the last admin stays: alice is removed only after bob is added).
        try await ConsoleAPITests.addUser(cluster, "beta", "bob", .admin)
        let beta = cluster.control("beta")
        let removed = try await onThread { try beta.send(ControlRequest.userRemove(name: "alice"), waitingUpTo: 30) }
        #expect(removed.ok, "\(removed)")
        #expect(try await Self.within(60) { try await Self.users(cluster, "alpha") == ["bob"] })
        #expect(cluster.logs.all.contains { $0.contains("users and tokens: took revision") })
    }
}
