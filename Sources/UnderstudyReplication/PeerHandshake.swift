import NIOCore
import UnderstudyCore
import UnderstudySession
import UnderstudyTransport
import UnderstudyWire

/// What a peer connection's handshake needs from the node: who it is, the groups it shares with the peer and who
/// holds them as it knows, and where to tell what it learns of the peer's view.
package protocol HandshakeParty: Sendable {
    var name: String { get }
    var configuration: ClusterConfiguration { get }
    func ownership(group: String) -> GroupOwnership?
    func peerOwnershipHeard(peer: String, group: String, ownership: GroupOwnership)
}

/// Both sides say hello first: same protocol version, same cluster, and a node name that matches the
/// certificate the peer presented (`HelloCheck`).
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
        switch try HelloCheck.check(message, cluster: cluster, certifiedPeer: certifiedPeer) {
        case .success(let hello):
            return hello
        case .failure(let refusal):
            try? await writer.send(.error(code: refusal.code, message: refusal.text))
            try? await writer.flush()
            throw PeerSessionError.refused(refusal.text)
        }
    }

    /// The handshake of `node` with `peer`: its ownerships of the groups they share, and what it learns back.
    package static func exchange(
        node: some HandshakeParty, writer: FrameWriter, peer: String,
        receive: () async throws -> PeerMessage?
    ) async throws {
        // Every group both are members of: the off-site node learns each takeover, and the other two learn its own
        // takeover at the recovery site.
        let shared = node.configuration.groups(withMember: node.name).filter { $0.members.contains(peer) }
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
