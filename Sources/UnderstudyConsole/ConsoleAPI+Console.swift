import Foundation
import Hummingbird
import NIOCore
import UnderstudyCore

/// The web console: its page, script and style (built into the binary, served with a strict Content-Security-Policy
/// so that nothing but this node's own files runs), and the lag history its charts draw.
extension ConsoleAPI {
    func consoleRoutes(on router: Router<ConsoleContext>, history: LagHistory) {
        router.get("/") { _, _ in Self.asset(ConsolePage.text, type: "text/html; charset=utf-8") }
        router.get("/assets/app.js") { _, _ in Self.asset(ConsoleScript.text, type: "text/javascript; charset=utf-8") }
        router.get("/assets/style.css") { _, _ in Self.asset(ConsoleStyle.text, type: "text/css; charset=utf-8") }
        router.get("/api/v1/groups/:group/lag") { request, context in
            await Self.answering { () throws(APIFailure) -> Response in
                _ = try caller(request, needs: .viewer)
                let group = context.parameters.get("group") ?? ""
                guard node.report().groups.contains(where: { $0.name == group }) else {
                    throw APIFailure(
                        status: .notFound, code: "unknown-group", message: "this node has no group '\(group)'")
                }
                let window = try Self.integer(request.uri.queryParameters.get("window"), "window") ?? 3600
                guard (60...86_400).contains(window) else {
                    throw APIFailure.badRequest("window must be from 60 to 86400 seconds")
                }
                struct Series: Encodable {
                    let window: Int64
                    let interval: Double
                    /// Per share: [Unix time, lag seconds] pairs, oldest first.
                    let shares: [String: [[Double]]]
                }
                return APIReply.json(
                    Series(
                        window: window, interval: LagHistory.interval,
                        shares: history.series(group: group, window: Double(window), now: now())),
                    status: .ok)
            }
        }
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        headers[.contentSecurityPolicy] =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
