import NIOCore
import UnderstudyWire

/// Both sides say hello first: same protocol version, same cluster, and a node name that matches the
/// certificate the peer presented.
enum PeerHandshake {
    /// - Parameter receive: reads the peer's next message.
    static func exchange(writer: FrameWriter, cluster: String, node: String, certifiedPeer: String,
                         receive: () async throws -> PeerMessage?) async throws {
        try await writer.send(.hello(PeerHello(cluster: cluster, node: node)))
        try await writer.flush()
        guard let message = try await receive() else { throw PeerSessionError.closed("before saying hello") }
        guard case .hello(let hello) = message else {
            if case .error(let code, let text) = message { throw PeerSessionError.remote(code, text) }
            throw PeerSessionError.unexpected(message, "instead of hello")
        }
        if hello.protocolVersion != PeerHello.currentProtocolVersion {
            let text = "protocol version \(hello.protocolVersion) is not supported (this node speaks \(PeerHello.currentProtocolVersion)); run the same understudy version on both nodes"
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
    }
}
