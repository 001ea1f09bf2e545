import CLinux
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnderstudyCore
import UnderstudyReplication
import UnderstudySupport

/// Answers typed control requests: the control socket's and the HTTPS API's. `who` is recorded with every request
/// that changes something.
package protocol ControlRequestHandler: Sendable {
    func handle(_ request: ControlRequest, from who: RequestOrigin) async -> ControlResponse
}

/// Who asked: the control socket (root on the node), or a console user or API token.
package struct RequestOrigin: Sendable, Equatable, CustomStringConvertible {
    /// As the event log records it: "control socket", "alice", "token backup (1a2b3c4d)".
    package var name: String

    package init(_ name: String) { self.name = name }

    package static let controlSocket = RequestOrigin("control socket")

    package var description: String { name }
}

/// A snapshot of the node's status, as `understudy status` shows it.
package protocol StatusSnapshotSource: Sendable {
    func report() -> NodeStatusReport
}

/// The local control API: a Unix socket (mode 0600, in the state directory by default) where each line is a
/// JSON `ControlRequest` and each answer a JSON `ControlResponse` line. Only root or the daemon's user can
/// connect. The CLI uses it; the web console will too.
package struct ControlSocket: Service, Sendable {
    let socketPath: String
    let handler: any ControlRequestHandler
    let logger: Logger
    /// Called once the socket is bound and answers.
    let onListening: @Sendable () -> Void

    package init(
        path: String, handler: any ControlRequestHandler, logger: Logger,
        onListening: @escaping @Sendable () -> Void = {}
    ) {
        socketPath = path
        self.handler = handler
        self.logger = logger
        self.onListening = onListening
    }

    /// Binds the control socket, mode 0600 from its first instant (a socket made with the process umask and then
    /// restricted would be open to everyone for a moment). A file left by a daemon that died is replaced: the state
    /// directory's lock, held by this process, says no other daemon of this node uses it.
    static func listen(path: String) throws -> Int32 {
        unlink(path)
        let fd = understudy_unix_listen(path, 128)
        guard fd >= 0 else {
            throw NodeError(.systemCall, "cannot create the control socket \(path): \(errnoText(-fd))")
        }
        return fd
    }

    /// Answers on the control socket until cancelled or shut down gracefully; the socket is removed then.
    package func run() async throws {
        try await cancelWhenGracefulShutdown { try await self.listenAndAnswer() }
    }

    private func listenAndAnswer() async throws {
        let descriptor = try Self.listen(path: socketPath)
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(descriptor) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder()))
                        // Dropped unserved by the socket closing, it closes itself (see `AcceptedChannel`).
                        return try AcceptedChannel.wrap(channel) as NIOAsyncChannel<ByteBuffer, ByteBuffer>
                    }
                }
        } catch {
            // NIO closed the descriptor it was given (closing it again could close another thread's file).
            unlink(socketPath)
            throw error
        }
        logger.info("control socket at \(socketPath)")
        defer { unlink(socketPath) }
        onListening()
        try await AcceptLoop.run(server, close: { try? await $0.executeThenClose { _, _ in } }) { connection in
            try? await serve(connection)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            for try await line in inbound {
                let response = await answer(Data(line.readableBytesView))
                var data = try JSONEncoder.control.encode(response)
                data.append(UInt8(ascii: "\n"))
                try await outbound.write(ByteBuffer(bytes: data))
            }
        }
    }

    /// One line: a request, decoded (a malformed one is refused here, with what was expected), then answered.
    func answer(_ data: Data) async -> ControlResponse {
        let request: ControlRequest
        do {
            request = try JSONDecoder.control.decode(ControlRequest.self, from: data)
        } catch let refusal as ControlRequestError {
            return .failure(ControlRequestError(refusal.code, "bad control request: \(refusal.message)"))
        } catch {
            return .failure(
                ControlRequestError(
                    .badRequest,
                    "bad control request: \(error); expected one JSON object per line, like {\"version\": \(ControlRequest.version), \"command\": \"status\"}"
                ))
        }
        return await handler.handle(request, from: .controlSocket)
    }
}

/// Splits a byte stream at newlines; refuses a line longer than 1 MiB.
struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 1024 * 1024 { throw NodeError(.badRequest, "control request longer than 1 MiB") }
            return .needMoreData
        }
        let line = buffer.readSlice(length: newline - buffer.readerIndex)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}

extension JSONEncoder {
    public static var control: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

extension JSONDecoder {
    public static var control: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
