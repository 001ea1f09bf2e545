import Foundation

import Hummingbird
import Logging
import NIOConcurrencyHelpers
import UnderstudyAccounts
import UnderstudyControl
import UnderstudyCore
import UnderstudyState

/// The node's event log as the API pages and streams it.
package protocol EventSource: Sendable {
    func events(before: Int64?, after: Int64?, limit: Int) throws -> [EventRecord]
}

extension StateDatabase: EventSource {}

/// What the node answers to, as the API needs it: its typed requests and its status.
package typealias ConsoleNode = ControlRequestHandler & StatusSnapshotSource

/// `/api/v1`: the node's typed API over HTTPS, for the web console and scripts. Every request but the login names
/// its caller (a session cookie, or `Authorization: Bearer TOKEN`); each route needs a role (`ControlRequest`'s
/// `requiredRole`); a browser's state-changing request also carries its session's CSRF token. A refused request
/// changes nothing and answers a JSON refusal with a code.
struct ConsoleAPI: Sendable {
    let node: any ConsoleNode
    let accounts: AccountStore
    let events: any EventSource
    let logger: Logger
    /// Wall-clock seconds (Unix time).
    let now: @Sendable () -> Double
    let sessions = SessionTable()
    let throttle = NIOLockedValueBox(LoginThrottle())
    /// Set when the node stops: event streams end so that the listener can close.
    let stopping: NIOLockedValueBox<Bool>
    /// The cluster's nodes as the running configuration names them (no secret is among them; a reload may add some).
    let nodes: @Sendable () -> [ClusterNodeView]

    static let cookie = "understudy_session"
    static let csrfHeader = "x-csrf-token"

    /// The value of header `name` (lower case), if the request has it.
    static func header(_ request: Request, _ name: String) -> String? {
        request.headers.first { $0.name.canonicalName == name }?.value
    }

    /// Who is asking.
    struct Caller: Sendable {
        let origin: RequestOrigin
        let role: ConsoleRole
        /// The browser session's id and CSRF token, when the caller came with the cookie.
        let session: String?
        var csrf: String? = nil
    }

    /// The caller of `request`, allowed `role`; a browser's request that changes something must carry the CSRF
    /// token of its session.
    func caller(_ request: Request, needs role: ConsoleRole) throws(APIFailure) -> Caller {
        let caller = try identify(request)
        if let expected = caller.csrf, request.method != .get, request.method != .head {
            guard let sent = Self.header(request, Self.csrfHeader), AccountStore.equalInConstantTime(sent, expected)
            else {
                throw APIFailure(
                    status: .forbidden, code: "csrf-refused",
                    message:
                        "this request changes something and lacks its session's CSRF token (header X-CSRF-Token, as the login answered it); nothing was done"
                )
            }
        }
        guard caller.role >= role else {
            throw APIFailure.forbidden(
                "\(caller.origin.name) is \(Self.article(caller.role)) \(caller.role); this needs \(Self.article(role)) \(role) or more"
            )
        }
        return caller
    }

    private func identify(_ request: Request) throws(APIFailure) -> Caller {
        if let authorization = request.headers[.authorization] {
            guard authorization.lowercased().hasPrefix("bearer ") else {
                throw APIFailure.unauthorized(
                    "Authorization must be 'Bearer TOKEN' (`understudy token create` makes one)")
            }
            let text = String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
            guard let token = accounts.token(text) else {
                throw APIFailure.unauthorized("the token is unknown, expired or revoked")
            }
            return Caller(origin: RequestOrigin("token \(token.name) (\(token.id))"), role: token.role, session: nil)
        }
        if let id = Self.cookieValue(request.headers[.cookie], named: Self.cookie) {
            let accounts = accounts
            guard
                let session = sessions.session(
                    id, now: now(), roleNow: { accounts.current.user(named: $0)?.role })
            else {
                throw APIFailure.unauthorized("the session has ended; sign in again")
            }
            return Caller(origin: RequestOrigin(session.user), role: session.role, session: id, csrf: session.csrf)
        }
        throw APIFailure.unauthorized(
            "sign in (POST /api/v1/login) or send an API token (Authorization: Bearer TOKEN)")
    }

    static func cookieValue(_ header: String?, named name: String) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(name + "=") { return String(pair.dropFirst(name.count + 1)) }
        }
        return nil
    }

    static func article(_ role: ConsoleRole) -> String { role == .viewer ? "a" : "an" }

    /// Runs `body` and turns a refusal into its JSON answer.
    static func answering(_ body: () async throws(APIFailure) -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            return APIReply.failure(error)
        }
    }

    /// Hands `request` to the node for `caller` (after its role is checked) and answers its report.
    func perform(_ request: ControlRequest, for http: Request) async -> Response {
        await Self.answering { () throws(APIFailure) -> Response in
            let caller = try caller(http, needs: request.requiredRole)
            return APIReply.json(await node.handle(request, from: caller.origin))
        }
    }
}
