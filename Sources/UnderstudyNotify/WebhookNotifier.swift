import Foundation
import NIOCore
import UnderstudyCore
import UnderstudySupport

/// `[notify.webhook]`: POSTs each message as JSON (see `NotificationMessage.json`). Any 2xx answer is
/// a delivery; anything else fails the attempt, with the start of the answer's body to say why.
public struct WebhookNotifier: NotificationChannel {
    public let configuration: WebhookNotification
    private let client: HTTPClient

    public init(
        configuration: WebhookNotification, eventLoopGroup: any EventLoopGroup,
        tls: HTTPClientTLSOptions = HTTPClientTLSOptions()
    ) {
        self.configuration = configuration
        self.client = HTTPClient(eventLoopGroup: eventLoopGroup, tls: tls)
    }

    public var name: String { "webhook \(configuration.url)" }

    public func deliver(_ message: NotificationMessage) async throws {
        let response = try await client.post(
            configuration.url, body: message.json, contentType: "application/json",
            timeout: configuration.timeout.seconds, bodyLimit: 4096)
        guard response.isSuccess else {
            throw WebhookRefusedError(url: configuration.url, response: response)
        }
    }
}

/// The webhook answered, but not with 2xx.
public struct WebhookRefusedError: Error, Sendable, CustomStringConvertible {
    public let url: String
    public let response: HTTPResponse

    public var description: String {
        var text = "POST \(url) answered \(response.status) \(response.reason)"
        let body = response.bodyText.trimmingCharacters(in: .whitespacesAndNewlines)
        if !body.isEmpty {
            text += ": " + (body.count > 200 ? String(body.prefix(200)) + "…" : body)
        }
        return text
    }
}
