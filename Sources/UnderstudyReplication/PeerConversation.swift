import Logging
import NIOCore
import NIOSSL
import UnderstudyCore
import UnderstudyTransport
import UnderstudyWire

/// One short conversation with a peer on a connection of its own (users and tokens, the tracked configuration, a
/// switchover asked for, an ownership probe): connect (TLS, both certificates checked), say hello, then `body` with
/// the writer and the peer's messages; the connection is closed at the end. Cancellation closes it whatever it waits
/// for (the TLS handshake, the hello, an answer), so a time limit around it cannot be held up.
package enum PeerConversation {
    package typealias Messages = NIOAsyncChannelInboundStream<PeerMessage>.AsyncIterator

    package static func with<T: Sendable>(
        _ peer: String, node: some HandshakeParty, tls: NIOSSLContext, logger: Logger,
        _ body: @escaping (FrameWriter, inout Messages) async throws -> T
    ) async throws -> T {
        guard let address = node.configuration.nodes[peer]?.address else {
            throw PeerSessionError.refused("\(peer) is not a node of \(node.configuration.sourcePath)")
        }
        let connection = try await PeerTransport.connect(
            host: address.host, port: address.port, tls: tls, allowedNodes: [peer],
            cluster: node.configuration.cluster, logger: logger, localNode: node.name)
        return try await withTaskCancellationHandler {
            do {
                _ = try await connection.peerNode.get()
            } catch {
                try? await connection.channel.executeThenClose { _, _ in }
                throw error
            }
            return try await connection.channel.executeThenClose { inbound, outbound in
                let writer = FrameWriter(outbound: outbound)
                var messages = inbound.makeAsyncIterator()
                try await PeerHandshake.exchange(node: node, writer: writer, peer: peer) { try await messages.next() }
                return try await body(writer, &messages)
            }
        } onCancel: {
            connection.channel.channel.close(promise: nil)
        }
    }
}
