import Foundation
import Hummingbird
import UnderstudyCore
import UnderstudySupport

/// Signing in and out of the web console. A good password opens a session: an HttpOnly, Secure, SameSite=Strict
/// cookie, and a CSRF token in the answer for the page to send with every change. Failed attempts are logged and
/// slowed down (`LoginThrottle`), by user name and by address.
extension ConsoleAPI {
    func login(_ request: Request, _ context: ConsoleContext) async -> Response {
        await Self.answering { () throws(APIFailure) -> Response in
            let body = try await APIBodies.decode(APIBodies.Login.self, from: request)
            let keys = ["user:" + body.user, "address:" + context.clientAddress]
            let wait = throttle.withLockedValue { $0.wait(for: keys, now: now()) }
            if wait > 0 {
                logger.warning(
                    "console login of '\(body.user)' from \(context.clientAddress) refused: too many failed attempts; next in \(Int(wait.rounded(.up))) s"
                )
                throw APIFailure(
                    status: .tooManyRequests, code: "login-throttled",
                    message: "too many failed sign-ins; try again in \(Int(wait.rounded(.up))) s",
                    retryAfter: Int(wait.rounded(.up)))
            }
            let accounts = accounts
            let user = try? await onThread { accounts.user(body.user, password: body.password) }
            guard let user else {
                throttle.withLockedValue { $0.failed(keys, now: now()) }
                logger.warning("console login of '\(body.user)' from \(context.clientAddress) failed")
                throw APIFailure.unauthorized("wrong user name or password")
            }
            throttle.withLockedValue { $0.succeeded(keys) }
            let session = sessions.open(user: user.name, role: user.role, now: now())
            logger.info("console login of '\(user.name)' (\(user.role)) from \(context.clientAddress)")
            var headers = HTTPFields()
            headers[.setCookie] =
                "\(Self.cookie)=\(session.id); Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=\(Int(SessionTable.lifetime))"
            struct Welcome: Encodable {
                let name: String
                let role: ConsoleRole
                let csrfToken: String
            }
            return APIReply.json(
                Welcome(name: user.name, role: user.role, csrfToken: session.csrf), status: .ok, headers: headers)
        }
    }

    func logout(_ request: Request) async -> Response {
        await Self.answering { () throws(APIFailure) -> Response in
            let caller = try caller(request, needs: .viewer)
            if let session = caller.session { sessions.close(session) }
            var headers = HTTPFields()
            headers[.setCookie] = "\(Self.cookie)=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"
            return APIReply.json(ControlResponse.done("signed out"), headers: headers)
        }
    }
}
