#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore

/// Why a conflict could not be resolved; nothing changed in the tree when it is thrown (the record stays open).
package typealias ConflictResolutionError = CodedFailure<ConflictResolutionCode>

package enum ConflictResolutionCode: String, Sendable {
    /// No open conflict has that path (or copy) in the share.
    case noOpenConflict = "no-open-conflict"
    /// The copy or the file could not be removed or moved (the system's reason in the message).
    case fileOperation = "file-operation"
    /// The state database could not be read or written.
    case database
}

extension CodedFailure where Code == ConflictResolutionCode {
    /// A failed file operation, with the system's reason for `number`.
    static func errno(_ what: String, _ number: Int32 = Glibc.errno) -> Self {
        Self(.fileOperation, "\(what): \(String(cString: strerror(number)))")
    }
}
