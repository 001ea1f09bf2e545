import UnderstudyCore

/// Why the console cannot listen; the node does not start without it.
public typealias ConsoleError = CodedFailure<ConsoleErrorCode>

public enum ConsoleErrorCode: String, Sendable {
    /// The certificate or key `[console]` names cannot be read or is not PEM.
    case certificateUnreadable = "console-certificate-unreadable"
    /// The certificate and the key do not belong together.
    case certificateMismatch = "console-certificate-mismatch"
}
