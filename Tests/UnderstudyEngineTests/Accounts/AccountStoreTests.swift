import Foundation
import Testing
@testable import UnderstudyAccounts
import UnderstudyCore
import UnderstudyState

/// Users and tokens in the state database: what is kept (hashes and digests, never a secret), what is refused, and a
/// newer directory from a peer taken whole.
@Suite struct AccountStoreTests {
    private func withStore(_ body: (AccountStore, StateDatabase) throws -> Void) throws {
        let directory = TestTree.makeTemporaryDirectory("accounts")
        defer { TestTree.remove(directory) }
        let database = try StateDatabase(directory: directory)
        // Cost 4: the lowest bcrypt takes, so the suite stays fast; the daemon uses 12.
        try body(try AccountStore(database: database, node: "alpha", cost: 4, now: { Date() }), database)
    }

    @Test func aUsersPassword_isKeptAsABcryptHash_andChecked() throws {
        try withStore { store, database in
            _ = try store.addUser("alice", role: .admin, password: "correct horse")
            let kept = try #require(try database.loadUserDirectory().user(named: "alice"))
            #expect(kept.passwordHash.hasPrefix("$2b$04$"))
            #expect(!kept.passwordHash.contains("correct horse"))
            #expect(store.user("alice", password: "correct horse")?.role == .admin)
            #expect(store.user("alice", password: "wrong horse") == nil)
            #expect(store.user("mallory", password: "correct horse") == nil)
            _ = try store.setPassword(of: "alice", to: "battery staple")
            #expect(store.user("alice", password: "correct horse") == nil)
            #expect(store.user("alice", password: "battery staple") != nil)
        }
    }

    @Test func refusals_changeNothing() throws {
        try withStore { store, database in
            _ = try store.addUser("alice", role: .admin, password: "correct horse")
            let before = try database.loadUserDirectory()
            #expect(throws: AccountError.self) { try store.addUser("alice", role: .viewer, password: "whatever1") }
            #expect(throws: AccountError.self) { try store.addUser("bob", role: .viewer, password: "short") }
            #expect(throws: AccountError.self) { try store.addUser("../etc", role: .viewer, password: "long enough") }
            #expect(throws: AccountError.self) { try store.removeUser("nobody") }
            let last = #expect(throws: AccountError.self) { try store.removeUser("alice") }
            #expect(last?.code == .lastAdmin)
            #expect(try database.loadUserDirectory() == before)
        }
    }

    @Test func aToken_isShownOnce_keptAsADigest_andRefusedOnceRevoked() throws {
        try withStore { store, database in
            let (info, secret) = try store.createToken("prometheus", role: .viewer, expiresIn: nil, by: "alice")
            #expect(secret.hasPrefix("ust_\(info.id)_"))
            let stored = try database.loadUserDirectory().tokens
            #expect(stored.count == 1 && !stored[0].secretDigest.isEmpty)
            #expect(
                !(String(decoding: try JSONEncoder().encode(stored), as: UTF8.self)).contains(
                    // Everything after the prefix: the random part may itself hold a "_".
                    String(secret.dropFirst("ust_\(info.id)_".count))))
            #expect(store.token(secret)?.role == .viewer)
            #expect(store.token(secret + "x") == nil)
            #expect(store.token("ust_\(info.id)_forged") == nil)
            _ = try store.revokeToken(info.id)
            #expect(store.token(secret) == nil)
            #expect(store.tokens().first?.state == "revoked")
        }
    }

    @Test func anExpiredToken_isRefused() throws {
        let directory = TestTree.makeTemporaryDirectory("accounts-expiry")
        defer { TestTree.remove(directory) }
        let clock = TestWallClock()
        let store = try AccountStore(
            database: try StateDatabase(directory: directory), node: "alpha", cost: 4, now: { clock.now })
        let (_, secret) = try store.createToken("script", role: .operator, expiresIn: 60, by: "alice")
        #expect(store.token(secret) != nil)
        clock.advance(61)
        #expect(store.token(secret) == nil)
        #expect(store.tokens().first?.state == "expired")
    }

    @Test func aNewerDirectory_isTakenWhole_andAnOlderOneIgnored() throws {
        try withStore { store, database in
            _ = try store.addUser("alice", role: .admin, password: "correct horse")
            var newer = store.current
            try newer.addUser("bob", role: .viewer, passwordHash: "$2b$04$x", now: Date())
            newer.revision += 1
            #expect(try store.adopt(newer))
            #expect(try database.loadUserDirectory().user(named: "bob") != nil)
            var older = newer
            older.revision = 1
            #expect(try !store.adopt(older))
            #expect(store.current == newer)
        }
    }
}

/// A wall clock that moves only when told to.
final class TestWallClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time = Date(timeIntervalSince1970: 1_800_000_000)
    var now: Date { lock.withLock { time } }
    func advance(_ seconds: Double) { lock.withLock { time += seconds } }
}
