import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// An HTTP server on 127.0.0.1 (a free port) that answers every request with fixed bytes, or never answers,
/// and records the requests it read. Raw bytes rather than NIOHTTP1, so a test controls every byte.
final class LoopbackHTTPServer: Sendable {
    enum Behaviour: Sendable {
        case respond([UInt8])
        /// Accepts and reads, never answers: for timeouts.
        case silent
    }

    let port: Int
    private let channel: any Channel
    private let recorded: NIOLockedValueBox<[String]>

    var requests: [String] { recorded.withLockedValue { $0 } }

    private init(port: Int, channel: any Channel, recorded: NIOLockedValueBox<[String]>) {
        self.port = port
        self.channel = channel
        self.recorded = recorded
    }

    /// A complete response with Content-Length.
    static func response(status: String = "200 OK", headers: [String] = [], body: String) -> [UInt8] {
        let head = (["HTTP/1.1 \(status)", "Content-Length: \(body.utf8.count)", "Connection: close"] + headers)
            .joined(separator: "\r\n")
        return Array((head + "\r\n\r\n" + body).utf8)
    }

    static func start(
        _ behaviour: Behaviour, certificate: SelfSignedCertificate? = nil
    ) async throws -> LoopbackHTTPServer {
        let recorded = NIOLockedValueBox<[String]>([])
        let context = try certificate.map { certificate in
            try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(certificate.certificatePath).map {
                        .certificate($0)
                    },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: certificate.keyPath, format: .pem))))
        }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        RequestHandler(behaviour: behaviour, recorded: recorded))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return LoopbackHTTPServer(port: channel.localAddress?.port ?? 0, channel: channel, recorded: recorded)
    }

    func stop() async {
        try? await channel.close()
    }

    private final class RequestHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let behaviour: Behaviour
        let recorded: NIOLockedValueBox<[String]>
        var received: [UInt8] = []
        var answered = false

        init(behaviour: Behaviour, recorded: NIOLockedValueBox<[String]>) {
            self.behaviour = behaviour
            self.recorded = recorded
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            received += buffer.readBytes(length: buffer.readableBytes) ?? []
            let text = String(decoding: received, as: UTF8.self)
            guard !answered, let headEnd = text.range(of: "\r\n\r\n") else { return }
            let length =
                text[..<headEnd.lowerBound].split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            guard text[headEnd.upperBound...].utf8.count >= length else { return }
            answered = true
            recorded.withLockedValue { $0.append(text) }
            if case .respond(let bytes) = behaviour {
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes))).whenComplete { _ in
                    channel.close(promise: nil)
                }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

/// Runs `body` with a started server and stops the server afterwards, also when `body` throws.
func withLoopbackHTTPServer<T>(
    _ behaviour: LoopbackHTTPServer.Behaviour, certificate: SelfSignedCertificate? = nil,
    _ body: (LoopbackHTTPServer) async throws -> T
) async throws -> T {
    let server = try await LoopbackHTTPServer.start(behaviour, certificate: certificate)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
