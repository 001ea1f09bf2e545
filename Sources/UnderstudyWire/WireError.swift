import UnderstudyCore

/// Error codes that cross the wire, so each side can tell the user what the other refused and why.
public enum WireErrorCode: UInt16, Sendable, Equatable {
    case malformedFrame = 1
    case unknownMessageType = 2
    case frameTooLarge = 3
    case pathRefused = 4
    case protocolVersion = 5
    case wrongCluster = 6
    case unknownShare = 7
    case notPrimary = 8
    case unexpectedMessage = 9
    case applyFailed = 10
    case contentMismatch = 11
    case internalError = 12
    /// The follower's file system cannot store the name (too long for it, an encoding it refuses): retrying cannot help.
    case nameUnusable = 13

    public var name: String {
        switch self {
        case .malformedFrame: "malformed-frame"
        case .unknownMessageType: "unknown-message-type"
        case .frameTooLarge: "frame-too-large"
        case .pathRefused: "path-refused"
        case .protocolVersion: "protocol-version"
        case .wrongCluster: "wrong-cluster"
        case .unknownShare: "unknown-share"
        case .notPrimary: "not-primary"
        case .unexpectedMessage: "unexpected-message"
        case .applyFailed: "apply-failed"
        case .contentMismatch: "content-mismatch"
        case .internalError: "internal-error"
        case .nameUnusable: "name-unusable"
        }
    }
}

public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: WireErrorCode
    public var message: String

    public init(_ code: WireErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.name): \(message)" }
}

extension WireError: CodedError {
    public var errorCode: String { code.name }
}
