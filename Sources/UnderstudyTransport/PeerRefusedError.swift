/// Why a connection was refused before (or instead of) identifying its peer as a node of the cluster.
public struct PeerRefusedError: Error, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The TLS handshake failed: foreign CA, no client certificate, TLS older than 1.3, not TLS at all.
        case handshakeFailed = "handshake_failed"
        /// The handshake did not finish within the allowed time.
        case handshakeTimedOut = "handshake_timed_out"
        /// The connection closed before the handshake finished.
        case closedBeforeHandshake = "closed_before_handshake"
        /// The certificate is valid but its name is not a node of this cluster.
        case unknownNode = "unknown_node"
        /// The certificate is this node's own: it reached itself.
        case ownIdentity = "own_identity"
        /// No certificate, or one whose name could not be read, or no TLS handler in front.
        case noIdentity = "no_identity"
    }

    public let code: Code
    /// The peer's address as logged, e.g. "127.0.0.1:50412".
    public let remoteAddress: String
    /// Why, in words: the text after "refused peer <address>: " in the log.
    public let reason: String
    public let cause: (any Error)?

    public init(code: Code, remoteAddress: String, reason: String, cause: (any Error)? = nil) {
        self.code = code
        self.remoteAddress = remoteAddress
        self.reason = reason
        self.cause = cause
    }

    public var description: String {
        "refused peer \(remoteAddress): \(reason)"
    }
}
