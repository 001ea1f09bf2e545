#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure of a signature, delta, patch or compression stream.
///
/// After any error (including one thrown by an output callback) the object
/// that threw is unusable: the stream it was producing is incomplete, and
/// every later call throws `.unusableAfterFailure`.
public struct DeltaError: Error, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A parameter was out of range (for example a negative basis size).
        case invalidArgument
        /// A library could not allocate its state.
        case outOfMemory
        /// Computing the signature of a basis failed.
        case signatureFailed
        /// The signature given to a delta generator is malformed.
        case corruptSignature
        /// Computing a delta failed.
        case deltaFailed
        /// The delta stream is malformed, truncated, or has data after its end.
        case corruptDelta
        /// Reading the basis file failed (see `cause`).
        case basisReadFailed
        /// The delta copies from past the end of the basis: it was made
        /// against another version of the file.
        case basisTooShort
        /// zstd compression failed.
        case compressionFailed
        /// The compressed stream is malformed or truncated.
        case corruptCompressedData
        /// Input arrived after the stream had already ended.
        case inputAfterEnd
        /// The output callback threw; kept as the cause of later
        /// `unusableAfterFailure` errors (the callback's own error is what
        /// the failing call throws).
        case outputConsumerFailed
        /// The object failed earlier and cannot continue its stream.
        case unusableAfterFailure
    }

    /// The system call that failed, kept as the cause of a `basisReadFailed`.
    public struct SystemCallError: Error, CustomStringConvertible {
        public let call: String
        public let errno: Int32
        public var description: String {
            "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        }
    }

    public let code: Code
    /// What failed, in words an operator can act on.
    public let message: String
    public let cause: (any Error)?

    public init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause {
            return "\(message) (cause: \(cause))"
        }
        return message
    }
}
