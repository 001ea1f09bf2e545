import Foundation
import Logging
import Testing
@testable import UnderstudyCertificates
import UnderstudyCore
@testable import UnderstudyTransport
import UnderstudyWire
@testable import UnderstudyNode

/// A switchover asked for by the peer over the wire (real TLS on loopback): answered with a report, never
/// run for a group the two nodes do not share, nor where there is no failover.
@Suite(.serialized)
struct SwitchoverAskTests {
    /// Asks alpha as its genuine standby beta; returns alpha's answer.
    func ask(_ cluster: TestCluster, group: String) async throws -> PeerMessage? {
        let identity = try CertificateStore(directory: cluster.configuration.certificatesDirectory).loadIdentity(
            node: "beta")
        let address = cluster.configuration.nodes["alpha"]!.address
        var logger = Logger(label: "asker")
        logger.logLevel = .critical
        let connection = try await PeerTransport.connect(
            host: address.host, port: address.port, tls: try PeerTLS.clientContext(identity),
            allowedNodes: ["alpha"], cluster: "test", logger: logger)
        _ = try await connection.peerNode.get()
        return try await connection.channel.executeThenClose { inbound, outbound in
            let writer = FrameWriter(outbound: outbound)
            try await writer.send(.hello(PeerHello(cluster: "test", node: "beta")))
            try await writer.send(.switchoverAsk(group: group, failback: false, force: true, dryRun: false))
            try await writer.flush()
            let watchdog = Task {
                try await Task.sleep(for: .seconds(15))
                connection.channel.channel.close(promise: nil)
            }
            defer { watchdog.cancel() }
            for try await message in inbound {
                switch message {
                case .hello, .changesPending: continue
                default: return message
                }
            }
            return nil
        }
    }

    @Test func askForAGroupNotShared_isAnsweredWithARefusal_andChangesNothing() async throws {
        let cluster = try TestCluster(label: "ask-foreign")
        defer { Task { await cluster.remove() } }
        try cluster.start("alpha")
        _ = try await cluster.status("alpha")
        let answer = try await ask(cluster, group: "../etc")
        #expect(
            answer
                == .switchoverReport(
                    ok: false,
                    text:
                        "group \"../etc\" is not one that alpha shares with beta; check that both nodes use the same configuration"
                ))
        #expect(try await cluster.status("alpha").groups.first?.role == .primary)
    }

    @Test func askWhereTheNodesShareNoLink_isAnsweredThatThereIsNoFailover() async throws {
        let cluster = try TestCluster(label: "ask-nofailover")
        defer { Task { await cluster.remove() } }
        try cluster.start("alpha")
        _ = try await cluster.status("alpha")
        let answer = try await ask(cluster, group: "files")
        guard case .switchoverReport(let ok, let text, let code)? = answer else {
            Issue.record("expected a report, got \(String(describing: answer))")
            return
        }
        #expect(!ok && text.contains("takes part in no failover"), "\(text)")
        #expect(code == "no-failover", "the refusal's code travels with it")
        #expect(try await cluster.status("alpha").groups.first?.role == .primary)
    }
}
