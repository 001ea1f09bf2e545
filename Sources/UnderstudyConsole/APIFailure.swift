import Hummingbird
import UnderstudyCore

/// A request the API refuses before it reaches the node: it changes nothing, and answers a JSON body of the same
/// shape as every other answer (`ok: false`, `error`, `code`) with the HTTP status that fits.
struct APIFailure: Error, Sendable {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    /// Seconds to wait before trying again (429).
    var retryAfter: Int? = nil

    static func badRequest(_ message: String) -> APIFailure {
        APIFailure(status: .badRequest, code: "bad-request", message: message)
    }

    static func unauthorized(_ message: String) -> APIFailure {
        APIFailure(status: .unauthorized, code: "unauthorized", message: message)
    }

    static func forbidden(_ message: String) -> APIFailure {
        APIFailure(status: .forbidden, code: "forbidden", message: message)
    }
}
