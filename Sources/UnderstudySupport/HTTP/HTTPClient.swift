// A small HTTP/1.1 client for service checks (GET) and webhooks (POST).
//
// One connection per request with `Connection: close`: checks run every few seconds and webhooks are rare,
// so pooling would only add state that can go stale exactly when a service fails over. One deadline covers
// connecting, TLS and the whole response, because a check must answer within its interval whatever part
// hangs. Only the first `bodyLimit` bytes are read; the connection is closed after them.

import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// How an https:// server is verified.
public struct HTTPClientTLSOptions: Sendable, Hashable {
    /// A PEM file of CA certificates to trust instead of the system's roots.
    public var caFile: String?
    /// Accept any certificate (a check against a service with a self-signed certificate). The connection is
    /// still encrypted, but anyone on the path could answer in the service's place.
    public var insecureSkipVerify: Bool
    /// Check that the certificate names the host of the URL. Off only where `caFile` is a private authority that
    /// issues to nothing but the servers meant (a node's console, verified with the cluster's CA, as peers are).
    public var verifyHostname: Bool

    public init(caFile: String? = nil, insecureSkipVerify: Bool = false, verifyHostname: Bool = true) {
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
        self.verifyHostname = verifyHostname
    }
}

public final class HTTPClient: Sendable {
    public static let defaultBodyLimit = 64 * 1024

    private let group: any EventLoopGroup
    private let tls: HTTPClientTLSOptions
    /// Built on the first https request and kept: loading the system's trust roots costs milliseconds.
    private let sslContext = NIOLockedValueBox<NIOSSLContext?>(nil)

    /// `eventLoopGroup` is the daemon's (`MultiThreadedEventLoopGroup.singleton`); the client owns no threads.
    public init(eventLoopGroup: any EventLoopGroup, tls: HTTPClientTLSOptions = HTTPClientTLSOptions()) {
        self.group = eventLoopGroup
        self.tls = tls
    }

    /// GET `url`; the response whatever its status (a check decides what status is healthy).
    public func get(
        _ url: String, timeout: Double, bodyLimit: Int = HTTPClient.defaultBodyLimit,
        headers: [HTTPResponse.Field] = []
    ) async throws(HTTPClientError) -> HTTPResponse {
        try await send(method: .GET, url: url, headers: headers, body: nil, timeout: timeout, bodyLimit: bodyLimit)
    }

    /// POST `body` to `url` with the given Content-Type.
    public func post(
        _ url: String, body: [UInt8], contentType: String, timeout: Double,
        bodyLimit: Int = HTTPClient.defaultBodyLimit,
        headers: [HTTPResponse.Field] = []
    ) async throws(HTTPClientError) -> HTTPResponse {
        try await send(
            method: .POST, url: url, headers: headers + [HTTPResponse.Field(name: "Content-Type", value: contentType)],
            body: body, timeout: timeout, bodyLimit: bodyLimit)
    }

    public func send(
        method: HTTPMethod, url text: String, headers: [HTTPResponse.Field], body: [UInt8]?,
        timeout: Double, bodyLimit: Int
    ) async throws(HTTPClientError) -> HTTPResponse {
        let url = try HTTPURL.parse(text)
        let label = "\(method.rawValue) \(url)"
        let context = url.scheme == .https ? try sslContext(for: label) : nil

        let head = Self.requestHead(method: method, url: url, headers: headers, bodyLength: body?.count)

        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: HTTPResponse.self)
        let allowed = TimeAmount.nanoseconds(Int64(max(0, min(timeout, 86_400)) * 1e9))
        let deadline = NIODeadline.now() + allowed
        let serverHostname = url.hostIsIPAddress ? nil : url.host
        let limit = max(0, bodyLimit)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(allowed)
            .channelInitializer { channel in
                do {
                    let operations = channel.pipeline.syncOperations
                    if let context {
                        try operations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverHostname))
                    }
                    try operations.addHTTPClientHandlers()
                    try operations.addHandler(
                        HTTPResponseCollector(request: head, body: body, limit: limit, promise: promise))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        bootstrap.connect(host: url.host, port: url.port).whenComplete { result in
            switch result {
            case .failure(let error):
                promise.fail(error)
            case .success(let channel):
                let timer = channel.eventLoop.scheduleTask(deadline: deadline) {
                    promise.fail(NetworkFailure(kind: .timedOut, text: "timed out"))
                }
                promise.futureResult.whenComplete { _ in
                    timer.cancel()
                    channel.close(promise: nil)
                }
            }
        }
        do {
            return try await promise.futureResult.get()
        } catch {
            throw Self.clientError(error, label: label, timeout: timeout)
        }
    }

    private static func requestHead(
        method: HTTPMethod, url: HTTPURL, headers: [HTTPResponse.Field],
        bodyLength: Int?
    ) -> HTTPRequestHead {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: url.target)
        head.headers.add(name: "Host", value: url.hostHeader)
        head.headers.add(name: "User-Agent", value: "understudy")
        head.headers.add(name: "Accept", value: "*/*")
        head.headers.add(name: "Connection", value: "close")
        for field in headers { head.headers.add(name: field.name, value: field.value) }
        if let bodyLength { head.headers.add(name: "Content-Length", value: String(bodyLength)) }
        return head
    }

    private func sslContext(for label: String) throws(HTTPClientError) -> NIOSSLContext {
        do {
            return try sslContext.withLockedValue { cached in
                if let cached { return cached }
                var configuration = TLSConfiguration.makeClientConfiguration()
                if let caFile = tls.caFile {
                    configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
                }
                if tls.insecureSkipVerify {
                    configuration.certificateVerification = .none
                } else if !tls.verifyHostname {
                    configuration.certificateVerification = .noHostnameVerification
                }
                let context = try NIOSSLContext(configuration: configuration)
                cached = context
                return context
            }
        } catch {
            let source = tls.caFile.map { "CA file \($0)" } ?? "the system's trust roots"
            throw HTTPClientError(code: .tls, message: "\(label): TLS: cannot load \(source): \(error)")
        }
    }

    private static func clientError(_ error: any Error, label: String, timeout: Double) -> HTTPClientError {
        if error is HTTPParserError {
            return HTTPClientError(code: .invalidResponse, message: "\(label): the answer is not HTTP/1.1 (\(error))")
        }
        let failure = NetworkFailure(error)
        let code: HTTPClientError.Code
        switch failure.kind {
        case .timedOut:
            return HTTPClientError(
                code: .timedOut, message: "\(label) timed out after \(DurationText.seconds(timeout))")
        case .refused: code = .connectionRefused
        case .unreachable: code = .hostUnreachable
        case .hostNotFound: code = .hostNotFound
        case .tls: code = .tls
        case .closed: code = .connectionClosed
        case .other: code = .other
        }
        return HTTPClientError(code: code, message: "\(label): \(failure.text)")
    }
}
