import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import UnderstudyCertificates
import UnderstudyNode
import UnderstudySupport
import UnderstudyTransport

/// Real TLS over real TCP on 127.0.0.1: certificates made by `CertificateStore.initialize`,
/// contexts from `PeerTLS`, identity decided by `PeerIdentityHandler`.
@Suite(.timeLimit(.minutes(1)))
struct PeerIdentityHandlerTests {
    static let cluster = "test"
    static let members: Set<String> = ["alpha", "beta"]

    @Test func identifiesBothPeers_whenBothAreNodesOfTheCluster() async throws {
        let certificates = try PeerTLSTestCluster(cluster: Self.cluster, nodes: ["alpha", "beta"])
        defer { certificates.remove() }
        let serverLog = PeerTLSTestLogRecorder()
        let clientLog = PeerTLSTestLogRecorder()

        try await withPeerTLSHarness { harness in
            let server = try await harness.startServer(
                context: PeerTLS.serverContext(certificates.identity("alpha")),
                allowedNodes: Self.members, cluster: Self.cluster, logger: serverLog.logger("server")
            )
            let client = try await harness.connect(
                port: server.port,
                context: PeerTLS.clientContext(certificates.identity("beta")),
                allowedNodes: Self.members, cluster: Self.cluster, logger: clientLog.logger("client")
            )

            #expect(try await peerTLSWait(client.peer, "identifying the server") == "alpha")
            let serverSaw = try await server.firstPeer()
            #expect(try serverSaw.get() == "beta")
            #expect(client.events.identified == [PeerIdentifiedEvent(nodeName: "alpha")])

            // Identified traffic passes through both identity handlers (the server echoes it).
            try await client.channel.writeAndFlush(ByteBuffer(string: "hello")).get()
            #expect(await peerTLSEventually { client.events.received == "hello" })
            #expect(client.channel.isActive)
        }
        #expect(serverLog.warnings(containing: "refused").isEmpty)
        #expect(clientLog.warnings(containing: "refused").isEmpty)
    }

    @Test func refuses_certificateFromForeignCA() async throws {
        let certificates = try PeerTLSTestCluster(cluster: Self.cluster, nodes: ["alpha", "beta"])
        defer { certificates.remove() }
        // Another cluster with the same node name: only the CA tells them apart.
        let foreign = try PeerTLSTestCluster(cluster: "other", nodes: ["beta"])
        defer { foreign.remove() }
        let serverLog = PeerTLSTestLogRecorder()

        try await withPeerTLSHarness { harness in
            let server = try await harness.startServer(
                context: PeerTLS.serverContext(certificates.identity("alpha")),
                allowedNodes: Self.members, cluster: Self.cluster, logger: serverLog.logger("server")
            )
            // The client trusts our CA, so it is the server's check of the client certificate that refuses.
            var configuration = PeerTLS.clientConfiguration(try foreign.identity("beta"))
            configuration.trustRoots = .certificates([try certificates.identity("alpha").caCertificate])
            let client = try await harness.connectPlainTLS(port: server.port, configuration: configuration)

            let refusal = try expectPeerRefusal(await server.firstPeer(), code: .handshakeFailed)
            #expect(refusal.reason.contains("not issued by this cluster's CA"))
            try await peerTLSWait(client.closeFuture, "the server closing the connection")
        }
        let warnings = serverLog.warnings(containing: "refused peer 127.0.0.1:")
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("not issued by this cluster's CA") == true)
    }

    @Test func refuses_nodeOfForeignCluster_onBothSides() async throws {
        let certificates = try PeerTLSTestCluster(cluster: Self.cluster, nodes: ["alpha"])
        defer { certificates.remove() }
        let foreign = try PeerTLSTestCluster(cluster: "other", nodes: ["beta"])
        defer { foreign.remove() }
        let serverLog = PeerTLSTestLogRecorder()
        let clientLog = PeerTLSTestLogRecorder()

        try await withPeerTLSHarness { harness in
            let server = try await harness.startServer(
                context: PeerTLS.serverContext(certificates.identity("alpha")),
                allowedNodes: Self.members, cluster: Self.cluster, logger: serverLog.logger("server")
            )
            let client = try await harness.connect(
                port: server.port,
                context: PeerTLS.clientContext(foreign.identity("beta")),
                allowedNodes: Self.members, cluster: "other", logger: clientLog.logger("client")
            )

            _ = try expectPeerRefusal(await server.firstPeer(), code: .handshakeFailed)
            await #expect(throws: PeerRefusedError.self) {
                try await peerTLSWait(client.peer, "identifying the server")
            }
            try await peerTLSWait(client.channel.closeFuture, "the connection closing")
            #expect(client.events.identified.isEmpty)
        }
        #expect(serverLog.warnings(containing: "refused peer 127.0.0.1:").count == 1)
        #expect(clientLog.warnings(containing: "not issued by this cluster's CA").count == 1)
    }

    @Test func refuses_clusterCertificateWhoseNameIsNotAllowed() async throws {
        let certificates = try PeerTLSTestCluster(cluster: Self.cluster, nodes: ["alpha", "beta", "intruder"])
        defer { certificates.remove() }
        let serverLog = PeerTLSTestLogRecorder()

        try await withPeerTLSHarness { harness in
            let server = try await harness.startServer(
                context: PeerTLS.serverContext(certificates.identity("alpha")),
                allowedNodes: Self.members, cluster: Self.cluster, logger: serverLog.logger("server")
            )
            let client = try await harness.connect(
                port: server.port,
                context: PeerTLS.clientContext(certificates.identity("intruder")),
                allowedNodes: Self.members, cluster: Self.cluster, logger: PeerTLSTestLogRecorder().logger("client")
            )
            // The handshake itself succeeds (same CA), so the client does learn who the server is...
            #expect(try await peerTLSWait(client.peer, "identifying the server") == "alpha")
            _ = try? await client.channel.writeAndFlush(ByteBuffer(string: "let me in")).get()

            let refusal = try expectPeerRefusal(await server.firstPeer(), code: .unknownNode)
            #expect(refusal.reason == "certificate name 'intruder' is not a node of cluster test")
            // ...but the server closes the connection, and nothing it sent was passed on (no echo).
            try await peerTLSWait(client.channel.closeFuture, "the connection closing")
            #expect(client.events.received.isEmpty)
        }
        let warnings = serverLog.warnings(containing: "refused peer 127.0.0.1:")
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasSuffix(": certificate name 'intruder' is not a node of cluster test") == true)
    }

    @Test func refuses_clientWithoutCertificate() async throws {
        let certificates = try PeerTLSTestCluster(cluster: Self.cluster, nodes: ["alpha"])
        defer { certificates.remove() }
        let serverLog = PeerTLSTestLogRecorder()

        try await withPeerTLSHarness { harness in
            let alpha = try certificates.identity("alpha")
            let server = try await harness.startServer(
                context: PeerTLS.serverContext(alpha),
                allowedNodes: Self.members, cluster: Self.cluster, logger: serverLog.logger("server")
            )
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv13
            configuration.trustRoots = .certificates([alpha.caCertificate])
            configuration.certificateVerification = .noHostnameVerification
            let client = try await harness.connectPlainTLS(port: server.port, configuration: configuration)

            let refusal = try expectPeerRefusal(await server.firstPeer(), code: .handshakeFailed)
            #expect(refusal.reason.contains("presented no client certificate"))
            try await peerTLSWait(client.closeFuture, "the server closing the connection")
        }
        #expect(serverLog.warnings(containing: "refused peer 127.0.0.1:").count == 1)
    }

    @Test func refuses_clientLimitedToTLS12() async throws {
        let certificates = try PeerTLSTestCluster(cluster: Self.cluster, nodes: ["alpha", "beta"])
        defer { certificates.remove() }
        let serverLog = PeerTLSTestLogRecorder()

        try await withPeerTLSHarness { harness in
            let server = try await harness.startServer(
                context: PeerTLS.serverContext(certificates.identity("alpha")),
                allowedNodes: Self.members, cluster: Self.cluster, logger: serverLog.logger("server")
            )
            // A genuine node certificate: only the protocol version is wrong.
            var configuration = PeerTLS.clientConfiguration(try certificates.identity("beta"))
            configuration.minimumTLSVersion = .tlsv12
            configuration.maximumTLSVersion = .tlsv12
            let client = try await harness.connectPlainTLS(port: server.port, configuration: configuration)

            let refusal = try expectPeerRefusal(await server.firstPeer(), code: .handshakeFailed)
            #expect(refusal.reason.contains("older than 1.3"))
            try await peerTLSWait(client.closeFuture, "the server closing the connection")
        }
        #expect(serverLog.warnings(containing: "refused peer 127.0.0.1:").count == 1)
    }

    @Test func refuses_connectionThatDoesNotSpeakTLS() async throws {
        let certificates = try PeerTLSTestCluster(cluster: Self.cluster, nodes: ["alpha"])
        defer { certificates.remove() }
        let serverLog = PeerTLSTestLogRecorder()

        try await withPeerTLSHarness { harness in
            let server = try await harness.startServer(
                context: PeerTLS.serverContext(certificates.identity("alpha")),
                allowedNodes: Self.members, cluster: Self.cluster, logger: serverLog.logger("server")
            )
            let client = try await harness.connectTCP(port: server.port, sending: "GET / HTTP/1.1\r\nHost: x\r\n\r\n")

            let refusal = try expectPeerRefusal(await server.firstPeer(), code: .handshakeFailed)
            #expect(refusal.reason.contains("did not speak TLS"))
            try await peerTLSWait(client.closeFuture, "the server closing the connection")
        }
        #expect(serverLog.warnings(containing: "refused peer 127.0.0.1:").count == 1)
    }

    @Test func refuses_connectionThatStaysSilent_afterHandshakeTimeout() async throws {
        let certificates = try PeerTLSTestCluster(cluster: Self.cluster, nodes: ["alpha"])
        defer { certificates.remove() }
        let serverLog = PeerTLSTestLogRecorder()

        try await withPeerTLSHarness { harness in
            let server = try await harness.startServer(
                context: PeerTLS.serverContext(certificates.identity("alpha")),
                allowedNodes: Self.members, cluster: Self.cluster, logger: serverLog.logger("server"),
                handshakeTimeout: .milliseconds(200)
            )
            let client = try await harness.connectTCP(port: server.port)

            let refusal = try expectPeerRefusal(await server.firstPeer(), code: .handshakeTimedOut)
            #expect(refusal.reason == "did not complete the TLS handshake within 200 ms")
            try await peerTLSWait(client.closeFuture, "the server closing the connection")
        }
        #expect(serverLog.warnings(containing: "refused peer 127.0.0.1:").count == 1)
    }

    @Test func clientRefuses_serverWhoseNameIsNotAllowed() async throws {
        let certificates = try PeerTLSTestCluster(cluster: Self.cluster, nodes: ["beta", "intruder"])
        defer { certificates.remove() }
        let clientLog = PeerTLSTestLogRecorder()

        try await withPeerTLSHarness { harness in
            let server = try await harness.startServer(
                context: PeerTLS.serverContext(certificates.identity("intruder")),
                allowedNodes: ["beta", "intruder"], cluster: Self.cluster,
                logger: PeerTLSTestLogRecorder().logger("server")
            )
            let client = try await harness.connect(
                port: server.port,
                context: PeerTLS.clientContext(certificates.identity("beta")),
                allowedNodes: Self.members, cluster: Self.cluster, logger: clientLog.logger("client")
            )
            let error = await #expect(throws: PeerRefusedError.self) {
                try await peerTLSWait(client.peer, "identifying the server")
            }
            #expect(error?.code == .unknownNode)
            try await peerTLSWait(client.channel.closeFuture, "the connection closing")
            #expect(client.events.identified.isEmpty)
        }
        #expect(clientLog.warnings(containing: "certificate name 'intruder' is not a node of cluster test").count == 1)
    }

    @Test func refuses_itsOwnCertificate_sayingItConnectedToItself() async throws {
        let certificates = try PeerTLSTestCluster(cluster: Self.cluster, nodes: ["alpha", "beta"])
        defer { certificates.remove() }
        let serverLog = PeerTLSTestLogRecorder()
        try await withPeerTLSHarness { harness in
            let server = try await harness.startServer(
                context: PeerTLS.serverContext(certificates.identity("alpha")),
                allowedNodes: ["beta"], cluster: Self.cluster, logger: serverLog.logger("server"), localNode: "alpha"
            )
            _ = try await harness.connect(
                port: server.port, context: PeerTLS.clientContext(certificates.identity("alpha")),
                allowedNodes: ["alpha"], cluster: Self.cluster, logger: PeerTLSTestLogRecorder().logger("client")
            )
            let refusal = try expectPeerRefusal(await server.firstPeer(), code: .ownIdentity)
            #expect(
                refusal.reason.contains("certificate names this node itself ('alpha'): it connected to itself"),
                "\(refusal.reason)")
            #expect(!refusal.reason.contains("not a node of cluster"))
        }
    }

    @Test func aFloodOfRefusals_fromOneAddress_isLoggedOnce_thenCounted() async throws {
        let certificates = try PeerTLSTestCluster(cluster: Self.cluster, nodes: ["alpha"])
        defer { certificates.remove() }
        let serverLog = PeerTLSTestLogRecorder()
        let clock = NIOLockedValueBox(1000.0)
        let refusals = RefusalLog(logger: serverLog.logger("server"), window: 10, now: { clock.withLockedValue { $0 } })
        try await withPeerTLSHarness { harness in
            let server = try await harness.startServer(
                context: PeerTLS.serverContext(certificates.identity("alpha")),
                allowedNodes: Self.members, cluster: Self.cluster, logger: serverLog.logger("server"),
                refusals: refusals
            )
            for _ in 0..<30 {
                let client = try await harness.connectTCP(port: server.port, sending: "GET / HTTP/1.1\r\n\r\n")
                try await peerTLSWait(client.closeFuture, "the server closing the connection")
            }
            #expect(await peerTLSEventually { server.peers.all.count == 30 })
            #expect(
                serverLog.warnings(containing: "refused peer 127.0.0.1:").count == 1,
                "\(serverLog.warnings(containing: "refused"))")
            clock.withLockedValue { $0 += 11 }
            let last = try await harness.connectTCP(port: server.port, sending: "junk\r\n")
            try await peerTLSWait(last.closeFuture, "the server closing the connection")
            #expect(await peerTLSEventually { serverLog.warnings(containing: "refused peer 127.0.0.1:").count == 2 })
            #expect(
                serverLog.warnings(containing: "and 29 more like it in the last 11 s").count == 1,
                "\(serverLog.warnings(containing: "refused"))")
        }
    }
}

// MARK: - Helpers

/// A cluster's certificates made by `understudy init` in a temporary directory.
struct PeerTLSTestCluster {
    let directory: PeerTLSTestDirectory
    let store: CertificateStore

    init(cluster: String, nodes: [String]) throws {
        directory = try PeerTLSTestDirectory()
        store = CertificateStore(directory: directory.path + "/certs")
        _ = try store.initialize(cluster: cluster, nodes: nodes, now: Date())
    }

    func identity(_ node: String) throws -> NodeIdentity {
        try store.loadIdentity(node: node)
    }

    func remove() {
        directory.remove()
    }
}

/// Runs `body` with a fresh event loop group and always shuts it down (closing every channel).
func withPeerTLSHarness(_ body: (PeerTLSTestHarness) async throws -> Void) async throws {
    let harness = PeerTLSTestHarness()
    do {
        try await body(harness)
    } catch {
        try? await harness.shutdown()
        throw error
    }
    try await harness.shutdown()
}

/// The refusal in `result`, which must be a failure with `PeerRefusedError` of the given code.
@discardableResult
func expectPeerRefusal(
    _ result: Result<String, any Error>,
    code: PeerRefusedError.Code,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> PeerRefusedError {
    switch result {
    case .success(let name):
        Issue.record("peer was accepted as '\(name)'", sourceLocation: sourceLocation)
        throw PeerTLSTestFailure.accepted(name)
    case .failure(let error):
        let refusal = try #require(
            error as? PeerRefusedError, "unexpected error \(error)", sourceLocation: sourceLocation)
        #expect(refusal.code == code, "refused for \(refusal)", sourceLocation: sourceLocation)
        return refusal
    }
}

/// Polls `condition` for up to five seconds.
func peerTLSEventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<500 {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
