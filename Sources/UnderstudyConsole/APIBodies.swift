import Foundation
import Hummingbird
import NIOCore
import UnderstudyControl
import UnderstudyCore

/// The JSON bodies the API's actions take; every field the action can do without is optional.
enum APIBodies {
    struct Login: Decodable {
        let user: String
        let password: String
    }

    struct Force: Decodable {
        var force: Bool?
        var dryRun: Bool?
    }

    struct ArchiveNow: Decodable {
        var group: String?
        var share: String?
        var schedule: String?
    }

    struct Restore: Decodable {
        let path: String
        var archive: String?
        var at: Double?
        var to: String?
        var inPlace: Bool?
        var overwrite: Bool?
    }

    struct Resolve: Decodable {
        let path: String
        let keep: String
    }

    struct NewUser: Decodable {
        let name: String
        let role: String
        let password: String
    }

    struct Password: Decodable {
        let password: String
    }

    struct NewToken: Decodable {
        let name: String
        let role: String
        var expiresIn: Double?
    }

    static let limit = 64 * 1024

    /// The request's body as `T`; an empty body is `{}`. Anything else than a JSON object of the right fields is
    /// refused, saying which field and why.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws(APIFailure) -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw APIFailure.badRequest("the body could not be read, or is larger than \(limit / 1024) KiB")
        }
        let data = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer.readableBytesView)
        do {
            return try JSONDecoder.control.decode(T.self, from: data)
        } catch DecodingError.keyNotFound(let key, _) {
            throw APIFailure.badRequest("the body lacks the field '\(key.stringValue)'")
        } catch DecodingError.typeMismatch(let type, let context) {
            throw APIFailure.badRequest("field '\(path(context))' must be \(describe(type))")
        } catch DecodingError.valueNotFound(let type, let context) {
            throw APIFailure.badRequest("field '\(path(context))' must be \(describe(type)), not null")
        } catch {
            throw APIFailure.badRequest("the body must be a JSON object (Content-Type: application/json)")
        }
    }

    /// What was wrong with a body, in a few words.
    static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(let type, let context): "field '\(path(context))' must be \(describe(type))"
        case DecodingError.valueNotFound(let type, let context): "field '\(path(context))' must be \(describe(type))"
        case DecodingError.keyNotFound(let key, _): "the field '\(key.stringValue)' is missing"
        case DecodingError.dataCorrupted(let context):
            context.codingPath.isEmpty ? "not JSON" : "field '\(path(context))': \(context.debugDescription)"
        default: "\(error)"
        }
    }

    static func role(_ text: String) throws(APIFailure) -> ConsoleRole {
        guard let role = ConsoleRole(rawValue: text) else {
            throw APIFailure.badRequest("role must be \(ConsoleRole.names), not \(String(reflecting: text))")
        }
        return role
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Bool.Type: "true or false"
        case is Double.Type, is Int.Type: "a number"
        default: "a string"
        }
    }
}
