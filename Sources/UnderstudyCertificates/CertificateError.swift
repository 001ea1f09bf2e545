import UnderstudyCore

/// A problem with the cluster's certificate files: what went wrong, which file, and what to do about it.
public struct CertificateError: CodedError {
    public enum Code: String, Sendable, Equatable {
        /// A file that should exist does not.
        case missingFile = "certificate-missing-file"
        /// A file exists but could not be read (permissions, I/O error, not UTF-8).
        case unreadableFile = "certificate-unreadable-file"
        /// A file was read but does not hold a valid certificate or key.
        case invalidFile = "certificate-invalid-file"
        /// A file or the directory could not be written.
        case writeFailed = "certificate-write-failed"
        /// A certificate exists without its private key (or the reverse, for the CA).
        case incompleteFiles = "certificate-incomplete-files"
        /// The existing CA was made for another cluster name.
        case clusterMismatch = "certificate-cluster-mismatch"
        /// A node certificate was not signed by the cluster CA, names another node, or does not match its key.
        case certificateMismatch = "certificate-mismatch"
        /// A node or cluster name cannot be used (file names, DNS names).
        case invalidName = "certificate-invalid-name"
    }

    public let code: Code
    public let message: String
    /// The file concerned, when there is one.
    public let path: String?
    /// The underlying error, when there is one.
    public let cause: (any Error)?

    public init(code: Code, message: String, path: String? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.cause = cause
    }

    /// Stable across releases (`certificate-…`), as every `CodedError`'s.
    public var errorCode: String { code.rawValue }

    public var description: String {
        var text = "\(message) [\(code.rawValue)]"
        if let cause {
            text += " (cause: \(cause))"
        }
        return text
    }
}
