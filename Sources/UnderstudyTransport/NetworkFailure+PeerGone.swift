import UnderstudyWire
import UnderstudySupport

extension NetworkFailure {
    /// The peer went away (closed, reset, killed) rather than something going wrong here: what to log for `error`,
    /// or nil when it is something else.
    package static func peerGone(_ error: any Error) -> String? {
        if let session = error as? PeerSessionError {
            if case .closed = session { return session.description }
            return nil
        }
        let failure = NetworkFailure(error)
        switch failure.kind {
        case .closed, .timedOut: return failure.text
        default: return nil
        }
    }
}
