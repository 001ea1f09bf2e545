import Crypto
import Foundation
import HummingbirdBcrypt
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudyState

/// The node's copy of the cluster's users and tokens: changes (each a new revision, stored before it is answered)
/// and the checks of a password or a token. Thread-safe.
package final class AccountStore: Sendable {
    let database: StateDatabase
    let node: String
    let now: @Sendable () -> Date
    /// bcrypt's cost: 2^cost rounds (12: about a quarter of a second per check on a current core).
    let cost: UInt8
    private let directory: NIOLockedValueBox<UserDirectory>

    package init(database: StateDatabase, node: String, cost: UInt8 = 12, now: @escaping @Sendable () -> Date) throws {
        self.database = database
        self.node = node
        self.cost = cost
        self.now = now
        directory = NIOLockedValueBox(try database.loadUserDirectory())
    }

    package var current: UserDirectory { directory.withLockedValue { $0 } }

    // MARK: - Changes

    package func addUser(_ name: String, role: ConsoleRole, password: String) throws -> [UserInfo] {
        try UserDirectory.check(password: password)
        let hash = Bcrypt.hash(password, cost: cost)
        return try change { directory, now in try directory.addUser(name, role: role, passwordHash: hash, now: now) }
    }

    package func setPassword(of name: String, to password: String) throws -> [UserInfo] {
        try UserDirectory.check(password: password)
        guard current.user(named: name) != nil else {
            throw AccountError(.unknownUser, "no user '\(name)'; `understudy user list` shows them")
        }
        let hash = Bcrypt.hash(password, cost: cost)
        return try change { directory, now in try directory.setPassword(of: name, hash: hash, now: now) }
    }

    package func removeUser(_ name: String) throws -> [UserInfo] {
        try change { directory, _ in try directory.removeUser(name) }
    }

    /// Makes a token; returns it with its whole text (`ust_ID_SECRET`), which is shown this once.
    package func createToken(
        _ name: String, role: ConsoleRole, expiresIn: Double?, by creator: String
    ) throws
        -> (TokenInfo, String)
    {
        // The system's generator reads getrandom(2): fit for secrets.
        var random = SystemRandomNumberGenerator()
        let idBytes = (0..<4).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        let secretBytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        let id = idBytes.map { String(format: "%02x", $0) }.joined()
        let secret = Data(secretBytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let created = now()
        let token = APIToken(
            id: id, name: name, role: role, secretDigest: Self.digest(secret), createdBy: creator, createdAt: created,
            expiresAt: expiresIn.map { created.addingTimeInterval($0) })
        _ = try change { directory, now in try directory.addToken(token, now: now) }
        return (TokenInfo(token, now: created), "ust_\(id)_\(secret)")
    }

    package func revokeToken(_ id: String) throws -> [TokenInfo] {
        _ = try change { directory, now in try directory.revokeToken(id: id, now: now) }
        return tokens()
    }

    /// Turns `group`'s maintenance on or off, for every node (the change spreads as users do).
    package func setMaintenance(of group: String, on: Bool, by: String) throws {
        _ = try change { directory, now in directory.setMaintenance(of: group, on: on, by: by, now: now) }
    }

    package func users() -> [UserInfo] { current.users.map(UserInfo.init) }
    package func tokens() -> [TokenInfo] {
        let now = now()
        return current.tokens.map { TokenInfo($0, now: now) }
    }

    /// Takes `newer` whole when it is newer than what this node holds (from a peer); says whether it did.
    @discardableResult
    package func adopt(_ newer: UserDirectory) throws -> Bool {
        try directory.withLockedValue { directory in
            guard directory.isOlder(than: newer) else { return false }
            try database.saveUserDirectory(newer)
            directory = newer
            return true
        }
    }

    /// One change: applied to a copy, stored, then published; a refused change leaves everything as it was.
    private func change(_ body: (inout UserDirectory, Date) throws -> Void) throws -> [UserInfo] {
        let now = now()
        return try directory.withLockedValue { directory in
            var changed = directory
            try body(&changed, now)
            changed.revision += 1
            changed.changedAt = now
            changed.changedOn = node
            try database.saveUserDirectory(changed)
            directory = changed
            return changed.users.map(UserInfo.init)
        }
    }

    // MARK: - Checks

    /// The user whose password this is; nil for an unknown user or a wrong password (which take as long).
    package func user(_ name: String, password: String) -> ConsoleUser? {
        guard let user = current.user(named: name) else {
            // As slow as a real check, so that timing does not tell which names exist.
            _ = Bcrypt.verify(password, hash: Self.decoyHash(cost: cost))
            return nil
        }
        return Bcrypt.verify(password, hash: user.passwordHash) ? user : nil
    }

    /// The token this text is, while it is neither expired nor revoked.
    package func token(_ text: String) -> APIToken? {
        let parts = text.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "ust", let token = current.token(id: String(parts[1])) else { return nil }
        guard Self.equalInConstantTime(Self.digest(String(parts[2])), token.secretDigest) else { return nil }
        return token.state(at: now()) == "active" ? token : nil
    }

    static func digest(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    package static func equalInConstantTime(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    private static let decoys = NIOLockedValueBox<[UInt8: String]>([:])

    private static func decoyHash(cost: UInt8) -> String {
        decoys.withLockedValue { decoys in
            if let hash = decoys[cost] { return hash }
            let hash = Bcrypt.hash(UUID().uuidString, cost: cost)
            decoys[cost] = hash
            return hash
        }
    }
}

extension AccountStore {
    /// The directory as nodes exchange it: JSON, keys sorted.
    package func document() -> (revision: UInt64, bytes: [UInt8]) {
        let directory = current
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (directory.revision, Array((try? encoder.encode(directory)) ?? Data()))
    }

    /// Takes a peer's document when it is newer; throws when it is not a directory.
    package func adopt(document bytes: [UInt8]) throws -> Bool {
        try adopt(try JSONDecoder().decode(UserDirectory.self, from: Data(bytes)))
    }
}
