import UnderstudyWire

/// The first exchange of every peer connection: each side says hello, and the other accepts it only when it speaks
/// the same protocol version, belongs to the same cluster and names itself as its certificate does. Pure: the I/O
/// code sends the hello, hands the first message here, and on a refusal tells the peer why before it closes.
package enum HelloCheck {
    /// What to send the peer, and the reason to end the connection with.
    package struct Refusal: Error, Equatable, Sendable {
        package var code: WireErrorCode
        package var text: String
    }

    /// The peer's hello, or why the connection ends: a first message that is no hello (the peer's own error among
    /// them) throws; a hello this node cannot accept is a refusal, which the peer is told.
    package static func check(
        _ message: PeerMessage, cluster: String, certifiedPeer: String
    ) throws(PeerSessionError) -> Result<PeerHello, Refusal> {
        guard case .hello(let hello) = message else {
            if case .error(let code, let text) = message { throw .remote(code, text) }
            throw .unexpected(message, "instead of hello")
        }
        if hello.protocolVersion != PeerHello.currentProtocolVersion {
            return .failure(
                Refusal(
                    code: .protocolVersion,
                    text:
                        "protocol version \(hello.protocolVersion) is not supported (this node speaks \(PeerHello.currentProtocolVersion)); run the same understudy version on both nodes"
                ))
        }
        if hello.cluster != cluster {
            return .failure(
                Refusal(code: .wrongCluster, text: "peer belongs to cluster '\(hello.cluster)', not '\(cluster)'"))
        }
        if hello.node != certifiedPeer {
            return .failure(
                Refusal(
                    code: .unexpectedMessage,
                    text: "peer says it is '\(hello.node)' but its certificate names '\(certifiedPeer)'"))
        }
        return .success(hello)
    }
}
