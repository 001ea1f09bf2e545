import Foundation
import Hummingbird

/// Answers 405 with `Allow` (not 404) to a method the API does not take on a path it serves, as HTTP asks. The
/// paths and their methods are the OpenAPI document's, so the document and the answer cannot disagree.
struct MethodGuard<Context: RequestContext>: RouterMiddleware {
    /// Each described path's segments ("{group}" matches any one segment) and its methods, upper case.
    let routes: [(segments: [Substring], methods: [String])]

    init(document: String = OpenAPIDocument.text) {
        let object = (try? JSONSerialization.jsonObject(with: Data(document.utf8))) as? [String: Any]
        let paths = object?["paths"] as? [String: [String: Any]] ?? [:]
        routes = paths.map { path, operations in
            (path.split(separator: "/"), operations.keys.map { $0.uppercased() }.sorted())
        }
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let segments = request.uri.path.split(separator: "/")
            guard let route = routes.first(where: { Self.matches($0.segments, segments) }),
                !route.methods.contains(request.method.rawValue)
            else { throw error }
            var response = APIReply.failure(
                APIFailure(
                    status: .methodNotAllowed, code: "method-not-allowed",
                    message:
                        "\(request.method.rawValue) is not taken here; \(request.uri.path) takes \(route.methods.joined(separator: ", "))"
                ))
            response.headers[.allow] = route.methods.joined(separator: ", ")
            return response
        }
    }

    static func matches(_ template: [Substring], _ path: [Substring]) -> Bool {
        template.count == path.count
            && zip(template, path).allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") || $0 == $1 }
    }
}
