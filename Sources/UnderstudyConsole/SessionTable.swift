import Foundation
import NIOConcurrencyHelpers
import UnderstudyCore

/// The console's signed-in browsers: a random session id (the HttpOnly cookie) names the user, their role, and the
/// CSRF token every state-changing request of that session must carry in `X-CSRF-Token`. Kept in memory: a
/// restart signs everyone out. A session ends after `idleLimit` without a request, or `lifetime` after sign-in.
final class SessionTable: Sendable {
    struct Session: Sendable {
        let user: String
        let role: ConsoleRole
        let csrf: String
        let started: Double
        var lastSeen: Double
    }

    static let idleLimit = 3600.0 * 8
    static let lifetime = 3600.0 * 24
    private let sessions = NIOLockedValueBox<[String: Session]>([:])

    /// Opens a session; returns its id and its CSRF token.
    func open(user: String, role: ConsoleRole, now: Double) -> (id: String, csrf: String) {
        let id = Self.randomToken()
        let csrf = Self.randomToken()
        sessions.withLockedValue { sessions in
            sessions = sessions.filter { Self.isLive($0.value, now: now) }
            sessions[id] = Session(user: user, role: role, csrf: csrf, started: now, lastSeen: now)
        }
        return (id, csrf)
    }

    /// The live session of `id`, its idle time reset. The role is the user's current one (`roleNow`): a user
    /// removed, or given another role, keeps no more than they now have.
    func session(_ id: String, now: Double, roleNow: (String) -> ConsoleRole?) -> Session? {
        sessions.withLockedValue { sessions in
            guard var session = sessions[id], Self.isLive(session, now: now), let role = roleNow(session.user) else {
                sessions[id] = nil
                return nil
            }
            session.lastSeen = now
            sessions[id] = session
            return Session(
                user: session.user, role: min(role, session.role), csrf: session.csrf, started: session.started,
                lastSeen: now)
        }
    }

    func close(_ id: String) {
        sessions.withLockedValue { $0[id] = nil }
    }

    private static func isLive(_ session: Session, now: Double) -> Bool {
        now - session.lastSeen < idleLimit && now - session.started < lifetime
    }

    /// 32 bytes from the system's generator (getrandom), base64url.
    static func randomToken() -> String {
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
