import Foundation
import NIOPosix
import Testing
import UnderstudyCore
import UnderstudyNode
import UnderstudyNotify
import UnderstudySupport

@Suite(.timeLimit(.minutes(1)))
struct WebhookNotifierTests {
    static let event = NotificationEvent(
        kind: .checkFailing, severity: .warning, node: "beta", group: "web", topic: "http",
        summary: "check http of group web fails: 503", detail: "GET http://10.77.1.100/ answered 503",
        time: 1_790_000_000.25)

    func notifier(_ url: String) -> WebhookNotifier {
        WebhookNotifier(
            configuration: WebhookNotification(url: url, timeout: ConfigDuration(seconds: 5)),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
    }

    @Test func postsEventAsJSON() async throws {
        let answer = LoopbackHTTPServer.response(status: "202 Accepted", body: "")
        try await withLoopbackHTTPServer(.respond(answer)) { server in
            let message = NotificationMessage(event: Self.event, suppressedRepeats: 2, repeatsSince: 1_789_999_000)
            try await notifier("http://127.0.0.1:\(server.port)/hooks/understudy").deliver(message)
            let request = try #require(server.requests.first)
            #expect(request.hasPrefix("POST /hooks/understudy HTTP/1.1\r\n"))
            #expect(request.contains("Content-Type: application/json\r\n"))
            let body = try #require(request.components(separatedBy: "\r\n\r\n").last)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(object["kind"] as? String == "check-failing")
            #expect(object["severity"] as? String == "warning")
            #expect(object["node"] as? String == "beta")
            #expect(object["group"] as? String == "web")
            #expect(object["topic"] as? String == "http")
            #expect(object["summary"] as? String == "check http of group web fails: 503")
            #expect(object["detail"] as? String == "GET http://10.77.1.100/ answered 503")
            #expect(object["time"] as? String == "2026-09-21T14:13:20Z")
            #expect(object["repeats"] as? Int == 2)
            #expect(object["repeats_since"] as? String == "2026-09-21T13:56:40Z")
        }
    }

    @Test func sendsNullGroup_forEventWithoutGroup() {
        var event = Self.event
        event.group = nil
        let text = String(decoding: NotificationMessage(event: event).json, as: UTF8.self)
        #expect(text.contains(#""group":null"#))
        #expect(text.contains(#""repeats_since":null"#))
    }

    @Test func failsWithStatusAndBody_whenWebhookDoesNotAnswer2xx() async throws {
        let answer = LoopbackHTTPServer.response(status: "500 Internal Server Error", body: "database is down\n")
        try await withLoopbackHTTPServer(.respond(answer)) { server in
            let url = "http://127.0.0.1:\(server.port)/hook"
            let error = await #expect(throws: WebhookRefusedError.self) {
                try await notifier(url).deliver(NotificationMessage(event: Self.event))
            }
            #expect(error?.description == "POST \(url) answered 500 Internal Server Error: database is down")
        }
    }

    @Test func failsClearly_whenWebhookIsUnreachable() async throws {
        let reserved = try ReservedPort()
        defer { reserved.release() }
        let url = "http://127.0.0.1:\(reserved.port)/hook"
        let error = await #expect(throws: HTTPClientError.self) {
            try await notifier(url).deliver(NotificationMessage(event: Self.event))
        }
        #expect(error?.description == "POST \(url): connection refused")
    }
}
