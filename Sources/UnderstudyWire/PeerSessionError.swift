/// Why a session with a peer ended: it closed, it reported an error, it sent what the protocol does not allow here,
/// or this side refused it.
package enum PeerSessionError: Error, Equatable, CustomStringConvertible {
    case closed(String)
    case remote(WireErrorCode, String)
    case unexpected(PeerMessage, String)
    case refused(String)

    /// The peer closed the connection or reported the error itself: there is no one left to tell.
    package var isPeerGone: Bool {
        switch self {
        case .closed, .remote: true
        case .unexpected, .refused: false
        }
    }

    package var description: String {
        switch self {
        case .closed(let when): "the peer closed the connection \(when)"
        case .remote(let code, let text): "the peer reported \(code.name): \(text)"
        case .unexpected(let message, let when): "unexpected \(message.typeName) message \(when)"
        case .refused(let why): why
        }
    }
}
