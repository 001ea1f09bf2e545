/// A user or token request that cannot be taken; nothing changed.
public typealias AccountError = CodedFailure<AccountErrorCode>

public enum AccountErrorCode: String, Sendable {
    /// A user name or token name that is not allowed.
    case invalidName = "invalid-name"
    case userExists = "user-exists"
    case unknownUser = "unknown-user"
    case unknownToken = "unknown-token"
    /// The password is too short or too long.
    case weakPassword = "weak-password"
    /// Removing the last admin, or making them something else, would leave nobody to manage users.
    case lastAdmin = "last-admin"
    /// An expiry in the past, or a token already revoked.
    case invalidValue = "invalid-value"
}
