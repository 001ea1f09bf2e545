/// The usual `CodedError`: a code from a part's own list (an enum of kebab-case raw values), the message, and the
/// cause. A part names it: `typealias ArchiveError = CodedFailure<ArchiveErrorCode>`.
public struct CodedFailure<Codes: RawRepresentable & Sendable>: CodedError where Codes.RawValue == String {
    /// The part's list of codes (`ArchiveError.Code`).
    public typealias Code = Codes

    public let code: Code
    public let message: String
    public let cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var errorCode: String { code.rawValue }
}
