import Foundation
import Logging
import Testing
@testable import UnderstudyCertificates
import UnderstudyCore
@testable import UnderstudyTransport
import UnderstudyWire
@testable import UnderstudyNode

/// DESIGN rule 3 at the daemon: only the group's standby, with a certificate from the cluster's CA, gets data.
@Suite(.serialized)
struct PeerAuthenticationTests {
    func attempt(_ cluster: TestCluster, certificates: String, as node: String) async throws -> [PeerMessage] {
        let identity = try CertificateStore(directory: certificates).loadIdentity(node: node)
        let address = cluster.configuration.nodes["alpha"]!.address
        var logger = Logger(label: "rogue")
        logger.logLevel = .critical
        let connection = try await PeerTransport.connect(
            host: address.host, port: address.port, tls: try PeerTLS.clientContext(identity),
            allowedNodes: ["alpha"], cluster: "test", logger: logger)
        return try await connection.channel.executeThenClose { inbound, outbound in
            let writer = FrameWriter(outbound: outbound)
            do {
                try await writer.send(.hello(PeerHello(cluster: "test", node: node)))
                try await writer.send(.openShare(group: "files", share: "data", incremental: false, resume: nil))
                try await writer.send(.manifestEnd(partials: [], removed: []))
                try await writer.flush()
            } catch {
                return []  // refused during the handshake: the primary closed the connection
            }
            // Read until the primary serves us (planSummary), refuses us (error), or closes; bounded in time.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(15))
                connection.channel.channel.close(promise: nil)
            }
            defer { watchdog.cancel() }
            var received: [PeerMessage] = []
            do {
                for try await message in inbound {
                    received.append(message)
                    if case .planSummary = message { break }
                    if case .error = message { break }
                }
            } catch {
                // The primary closes the connection on a refused peer.
            }
            return received
        }
    }

    func waitForPrimary(_ cluster: TestCluster) async throws {
        _ = try await cluster.status("alpha")
    }

    @Test func primaryRefuses_certificateFromAnotherCA() async throws {
        let cluster = try TestCluster(label: "auth-foreign")
        defer { Task { await cluster.remove() } }
        TestTree.write(cluster.source, "secret", "not for strangers")
        let foreign = cluster.root + "/foreign-certs"
        _ = try CertificateStore(directory: foreign).initialize(cluster: "test", nodes: ["beta"], now: Date())
        try cluster.start("alpha")
        try await waitForPrimary(cluster)
        let received = try await attempt(cluster, certificates: foreign, as: "beta")
        #expect(!received.contains { if case .planSummary = $0 { true } else { false } })
        #expect(!(await cluster.logs.waitFor("refused peer")).isEmpty, "\(cluster.logs.all)")
    }

    @Test func primaryRefuses_clusterNodeThatIsNotTheGroupsStandby() async throws {
        let cluster = try TestCluster(label: "auth-outsider")
        defer { Task { await cluster.remove() } }
        // A certificate from the right CA, for a name the primary serves nothing to.
        _ = try CertificateStore(directory: cluster.configuration.certificatesDirectory)
            .initialize(cluster: "test", nodes: ["alpha", "beta", "gamma"], now: Date())
        try cluster.start("alpha")
        try await waitForPrimary(cluster)
        let received = try await attempt(
            cluster, certificates: cluster.configuration.certificatesDirectory, as: "gamma")
        #expect(!received.contains { if case .planSummary = $0 { true } else { false } })
        #expect(!(await cluster.logs.waitFor("refused peer")).isEmpty, "\(cluster.logs.all)")
    }

    @Test func genuineStandby_isServed() async throws {
        let cluster = try TestCluster(label: "auth-ok")
        defer { Task { await cluster.remove() } }
        try cluster.start("alpha")
        try await waitForPrimary(cluster)
        let received = try await attempt(cluster, certificates: cluster.configuration.certificatesDirectory, as: "beta")
        #expect(received.contains { if case .planSummary = $0 { true } else { false } }, "\(received)")
    }
}
