/// An error the API names: a stable code that programs test (kebab-case, listed in docs/operations.md), a message a
/// person can act on, and the error that caused it, if any. The control API returns the code beside the message.
public protocol CodedError: Error, CustomStringConvertible {
    /// Stable across releases: "unknown-share", "no-open-conflict", ...
    var errorCode: String { get }
    /// What went wrong and what to do, for people.
    var message: String { get }
    /// The underlying error (a system call's, the database's), when there is one.
    var cause: (any Error)? { get }
}

extension CodedError {
    public var description: String { message }
    public var cause: (any Error)? { nil }
}
