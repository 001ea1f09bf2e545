import NIOCore
import UnderstudyCore
import UnderstudyTransport
import UnderstudyWire

/// Both sides say hello first: same protocol version, same cluster, and a node name that matches the
/// certificate the peer presented.
package enum PeerHandshake {
    /// - Parameters:
    ///   - ownerships: who holds each group this node shares with the peer, as this node knows it.
    ///   - receive: reads the peer's next message.
    /// - Returns: the peer's hello (its ownerships among them).
    @discardableResult
    static func exchange(
        writer: FrameWriter, cluster: String, node: String, certifiedPeer: String,
        ownerships: [String: GroupOwnership] = [:],
        receive: () async throws -> PeerMessage?
    ) async throws -> PeerHello {
        try await writer.send(.hello(PeerHello(cluster: cluster, node: node, ownerships: ownerships)))
        try await writer.flush()
        guard let message = try await receive() else { throw PeerSessionError.closed("before saying hello") }
        guard case .hello(let hello) = message else {
            if case .error(let code, let text) = message { throw PeerSessionError.remote(code, text) }
            throw PeerSessionError.unexpected(message, "instead of hello")
        }
        if hello.protocolVersion != PeerHello.currentProtocolVersion {
            let text =
                "protocol version \(hello.protocolVersion) is not supported (this node speaks \(PeerHello.currentProtocolVersion)); run the same understudy version on both nodes"
            try? await writer.send(.error(code: .protocolVersion, message: text))
            try? await writer.flush()
            throw PeerSessionError.refused(text)
        }
        if hello.cluster != cluster {
            let text = "peer belongs to cluster '\(hello.cluster)', not '\(cluster)'"
            try? await writer.send(.error(code: .wrongCluster, message: text))
            try? await writer.flush()
            throw PeerSessionError.refused(text)
        }
        if hello.node != certifiedPeer {
            let text = "peer says it is '\(hello.node)' but its certificate names '\(certifiedPeer)'"
            try? await writer.send(.error(code: .unexpectedMessage, message: text))
            try? await writer.flush()
            throw PeerSessionError.refused(text)
        }
        return hello
    }

    /// The handshake of `node` with `peer`: its ownerships of the groups they share, and what it learns back.
    package static func exchange(
        node: NodeRuntime, writer: FrameWriter, peer: String,
        receive: () async throws -> PeerMessage?
    ) async throws {
        let shared = node.configuration.groups(whereNode: node.name).filter { $0.peer(of: node.name) == peer }
        var ownerships: [String: GroupOwnership] = [:]
        for group in shared { ownerships[group.name] = node.ownership(group: group.name) }
        let hello = try await exchange(
            writer: writer, cluster: node.configuration.cluster, node: node.name, certifiedPeer: peer,
            ownerships: ownerships, receive: receive)
        for group in shared {
            guard let theirs = hello.ownerships[group.name] else { continue }
            node.peerOwnershipHeard(peer: peer, group: group.name, ownership: theirs)
        }
    }
}
