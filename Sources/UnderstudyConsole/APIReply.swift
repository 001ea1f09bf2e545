import Foundation
import Hummingbird
import NIOCore
import UnderstudyControl
import UnderstudyCore

/// The API's answers: each a `ControlResponse` as JSON (the typed API the CLI speaks, `version`, `ok`, `answer` and
/// the answer's fields), with the HTTP status that says how it went.
enum APIReply {
    static func json(_ response: ControlResponse, headers extra: HTTPFields = [:]) -> Response {
        json(response, status: status(of: response), headers: extra)
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status, headers extra: HTTPFields = [:]) -> Response
    {
        var headers = extra
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        let data = (try? JSONEncoder.control.encode(value)) ?? Data(#"{"ok":false,"error":"encoding failed"}"#.utf8)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func failure(_ failure: APIFailure) -> Response {
        var headers = HTTPFields()
        if let retryAfter = failure.retryAfter { headers[.retryAfter] = "\(retryAfter)" }
        if failure.status == .unauthorized { headers[.wwwAuthenticate] = #"Bearer realm="understudy""# }
        return json(
            ControlResponse.refused(failure.message, code: failure.code), status: failure.status, headers: headers)
    }

    /// 200 when done; a refusal by its code: what the request lacked (400), what does not exist (404), what the
    /// node's state does not allow now (409).
    static func status(of response: ControlResponse) -> HTTPResponse.Status {
        if response.ok { return .ok }
        guard case .refused(_, let code) = response else { return .conflict }
        switch code {
        case "bad-request", "invalid-name", "weak-password", "invalid-value", "unsupported-version": return .badRequest
        case "unknown-share", "unknown-archive", "unknown-schedule", "not-found", "unknown-user", "unknown-token",
            "no-open-conflict":
            return .notFound
        default: return .conflict
        }
    }
}
