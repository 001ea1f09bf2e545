import struct Foundation.Date

/// A user as lists show it: never the password's hash.
public struct UserInfo: Codable, Sendable, Equatable {
    public var name: String
    public var role: ConsoleRole
    public var createdAt: Date
    public var passwordChangedAt: Date

    public init(_ user: ConsoleUser) {
        name = user.name
        role = user.role
        createdAt = user.createdAt
        passwordChangedAt = user.passwordChangedAt
    }
}

/// A token as lists show it: never its secret nor the secret's digest.
public struct TokenInfo: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var role: ConsoleRole
    public var createdBy: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    /// "active", "expired" or "revoked" when the list was made.
    public var state: String

    public init(_ token: APIToken, now: Date) {
        id = token.id
        name = token.name
        role = token.role
        createdBy = token.createdBy
        createdAt = token.createdAt
        expiresAt = token.expiresAt
        revokedAt = token.revokedAt
        state = token.state(at: now)
    }
}
