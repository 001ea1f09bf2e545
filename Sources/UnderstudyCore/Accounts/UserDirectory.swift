import struct Foundation.Date

/// A console user: a name, a role and a slow hash of the password (bcrypt); the password itself is never kept.
public struct ConsoleUser: Codable, Sendable, Equatable {
    public var name: String
    public var role: ConsoleRole
    public var passwordHash: String
    public var createdAt: Date
    public var passwordChangedAt: Date

    public init(name: String, role: ConsoleRole, passwordHash: String, createdAt: Date) {
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        passwordChangedAt = createdAt
    }
}

/// An API token for scripts: a role, an expiry, revocable. Only the SHA-256 digest of its secret is kept.
public struct APIToken: Codable, Sendable, Equatable {
    /// Public part of the token (`ust_ID_SECRET`): names it in lists and in `token revoke`.
    public var id: String
    /// What it is for, as its creator named it ("prometheus", "backup-script").
    public var name: String
    public var role: ConsoleRole
    /// Hex SHA-256 of the secret part.
    public var secretDigest: String
    public var createdBy: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?

    public init(
        id: String, name: String, role: ConsoleRole, secretDigest: String, createdBy: String, createdAt: Date,
        expiresAt: Date?
    ) {
        self.id = id
        self.name = name
        self.role = role
        self.secretDigest = secretDigest
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// "active", "expired" or "revoked".
    public func state(at now: Date) -> String {
        if revokedAt != nil { return "revoked" }
        if let expiresAt, expiresAt <= now { return "expired" }
        return "active"
    }
}

/// The operators' side of the cluster, kept identical on every node: every console user and API token, and the
/// groups in maintenance. Each change makes a new revision, and a node that meets a newer revision takes it whole.
/// Pure: hashing and the clock are the caller's.
public struct UserDirectory: Codable, Sendable, Equatable {
    public var revision: UInt64
    public var changedAt: Date?
    /// The node where the last change was made.
    public var changedOn: String?
    public private(set) var users: [ConsoleUser]
    public private(set) var tokens: [APIToken]
    /// Groups whose automatic failover is held (nil in a document written before maintenance existed).
    public internal(set) var maintenance: [MaintenanceHold]?

    public init(revision: UInt64 = 0, users: [ConsoleUser] = [], tokens: [APIToken] = []) {
        self.revision = revision
        self.users = users
        self.tokens = tokens
    }

    public static let passwordLengths = 8...256
    static let maximumNameLength = 64

    public func user(named name: String) -> ConsoleUser? { users.first { $0.name == name } }
    public func token(id: String) -> APIToken? { tokens.first { $0.id == id } }

    /// Whether `other` should replace this directory: a higher revision, or the same one changed later (two nodes
    /// that changed it at once; the later change wins everywhere, ties broken by the node's name).
    public func isOlder(than other: UserDirectory) -> Bool {
        if other.revision != revision { return other.revision > revision }
        let mine = (changedAt ?? .distantPast, changedOn ?? "")
        let theirs = (other.changedAt ?? .distantPast, other.changedOn ?? "")
        return mine.0 != theirs.0 ? mine.0 < theirs.0 : mine.1 < theirs.1
    }

    // MARK: - Users

    public mutating func addUser(
        _ name: String, role: ConsoleRole, passwordHash: String, now: Date
    )
        throws(AccountError)
    {
        try Self.check(name: name, what: "user name")
        guard user(named: name) == nil else {
            throw AccountError(
                .userExists, "user '\(name)' exists already; `understudy user passwd \(name)` sets a new password")
        }
        users.append(ConsoleUser(name: name, role: role, passwordHash: passwordHash, createdAt: now))
        users.sort { $0.name < $1.name }
    }

    public mutating func setPassword(of name: String, hash: String, now: Date) throws(AccountError) {
        guard let index = users.firstIndex(where: { $0.name == name }) else { throw Self.unknown(name) }
        users[index].passwordHash = hash
        users[index].passwordChangedAt = now
    }

    public mutating func removeUser(_ name: String) throws(AccountError) {
        guard let index = users.firstIndex(where: { $0.name == name }) else { throw Self.unknown(name) }
        if users[index].role == .admin, users.filter({ $0.role == .admin }).count == 1 {
            throw AccountError(
                .lastAdmin, "'\(name)' is the last admin; add another admin before removing this one")
        }
        users.remove(at: index)
    }

    /// A password a user may choose: 8 to 256 characters (a passphrase is welcome).
    public static func check(password: String) throws(AccountError) {
        guard passwordLengths.contains(password.count) else {
            throw AccountError(
                .weakPassword,
                "a password needs \(passwordLengths.lowerBound) to \(passwordLengths.upperBound) characters; this one has \(password.count)"
            )
        }
    }

    // MARK: - Tokens

    public mutating func addToken(_ token: APIToken, now: Date) throws(AccountError) {
        try Self.check(name: token.name, what: "token name")
        if let expiresAt = token.expiresAt, expiresAt <= now {
            throw AccountError(
                .invalidValue, "token '\(token.name)' would expire before it is made; give a later expiry")
        }
        tokens.append(token)
    }

    public mutating func revokeToken(id: String, now: Date) throws(AccountError) {
        guard let index = tokens.firstIndex(where: { $0.id == id }) else {
            throw AccountError(.unknownToken, "no token '\(id)'; `understudy token list` shows them")
        }
        guard tokens[index].revokedAt == nil else {
            throw AccountError(.invalidValue, "token '\(id)' (\(tokens[index].name)) is revoked already")
        }
        tokens[index].revokedAt = now
    }

    // MARK: - Names

    /// Letters, digits, '-', '_', '.' and '@', starting with a letter or digit, at most 64 characters.
    static func check(name: String, what: String) throws(AccountError) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || [UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "@")].contains(byte)
        }
        guard allowed, let first = name.unicodeScalars.first,
            first.properties.isAlphabetic || ("0"..."9").contains(first),
            name.utf8.count <= maximumNameLength
        else {
            throw AccountError(
                .invalidName,
                "\(what) \(String(reflecting: name)) is invalid: use letters, digits, '-', '_', '.' and '@', starting with a letter or digit, at most \(maximumNameLength) characters"
            )
        }
    }

    private static func unknown(_ name: String) -> AccountError {
        AccountError(.unknownUser, "no user '\(name)'; `understudy user list` shows them")
    }
}
