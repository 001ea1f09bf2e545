import UnderstudyCore

/// A failure of the node's state database, with the file it concerns.
///
/// `message` is written for the administrator: it names the path, says what went wrong and, where
/// there is one, what to do about it. `cause` keeps the underlying error (an SQLite error or an
/// errno) for logs.
public struct StateError: Error, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The state directory could not be created or is not a directory.
        case directoryUnavailable = "state-directory-unavailable"
        /// The process may not read or write the state files.
        case permissionDenied = "state-permission-denied"
        /// `state.sqlite` exists but is not an SQLite database.
        case notADatabase = "state-not-a-database"
        /// The database was migrated by a newer understudy; this binary refuses to downgrade it.
        case newerSchema = "state-newer-schema"
        /// SQLite reports the file as damaged.
        case corrupt = "state-corrupt"
        /// The file system holding the state directory is full.
        case diskFull = "state-disk-full"
        /// A record handed to the database breaks one of its rules (for example a hash that is not
        /// 32 bytes long); nothing was written.
        case invalidRecord = "state-invalid-record"
        /// Opening the database failed for another reason.
        case openFailed = "state-open-failed"
        /// A read or write failed for another reason.
        case accessFailed = "state-access-failed"
    }

    public var code: Code
    public var message: String
    public var path: String
    public var cause: (any Error)?

    public init(code: Code, message: String, path: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.cause = cause
    }

    public var description: String {
        "\(message) [\(code.rawValue)]"
    }
}

extension StateError: CodedError {
    public var errorCode: String { code.rawValue }
}
