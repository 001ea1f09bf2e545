#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore

/// Why a conflict could not be resolved; nothing changed in the tree when it is thrown (the record stays open).
package struct ConflictResolutionError: CodedError {
    package enum Code: String, Sendable {
        /// No open conflict has that path (or copy) in the share.
        case noOpenConflict = "no-open-conflict"
        /// The copy or the file could not be removed or moved (the system's reason in the message).
        case fileOperation = "file-operation"
        /// The state database could not be read or written.
        case database
    }

    package let code: Code
    package let message: String
    package let cause: (any Error)?

    package init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    package var errorCode: String { code.rawValue }

    static func errno(_ what: String, _ number: Int32 = Glibc.errno) -> ConflictResolutionError {
        ConflictResolutionError(.fileOperation, "\(what): \(String(cString: strerror(number)))")
    }
}
