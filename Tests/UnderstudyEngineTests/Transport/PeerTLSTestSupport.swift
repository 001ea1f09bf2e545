import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import UnderstudyNode
import UnderstudySupport
import UnderstudyTransport

/// Records log lines so tests can assert that refusals are logged.
final class PeerTLSTestLogRecorder: @unchecked Sendable {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
    }

    private let lock = NSLock()
    private var recorded: [Entry] = []

    var entries: [Entry] {
        lock.withLock { recorded }
    }

    func warnings(containing text: String) -> [String] {
        entries.filter { $0.level == .warning && $0.message.contains(text) }.map(\.message)
    }

    func logger(_ label: String) -> Logger {
        Logger(label: label) { _ in PeerTLSTestLogHandler(recorder: self) }
    }

    fileprivate func record(_ entry: Entry) {
        lock.withLock { recorded.append(entry) }
    }
}

struct PeerTLSTestLogHandler: LogHandler {
    let recorder: PeerTLSTestLogRecorder
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        recorder.record(.init(level: event.level, message: event.message.description))
    }
}

/// A temporary directory, removed by `remove()`.
struct PeerTLSTestDirectory {
    let path: String

    init() throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("understudy-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A TLS server and clients on 127.0.0.1 with PeerIdentityHandler on both sides, as nodes use them.
final class PeerTLSTestHarness: Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// What the server learned about each accepted connection, in order.
    struct Server {
        let channel: any Channel
        let peers: PeerTLSTestResults
        var port: Int { channel.localAddress!.port! }

        /// The outcome for the first accepted connection; fails the wait after five seconds.
        func firstPeer() async throws -> Result<String, any Error> {
            for _ in 0..<500 {
                if let first = peers.all.first { return first }
                try await Task.sleep(for: .milliseconds(10))
            }
            throw PeerTLSTestFailure.timedOut("the server identified or refused no connection within 5 s")
        }
    }

    func startServer(
        context: NIOSSLContext,
        allowedNodes: Set<String>,
        cluster: String,
        logger: Logger,
        handshakeTimeout: TimeAmount? = .seconds(10),
        localNode: String? = nil,
        refusals: RefusalLog? = nil
    ) async throws -> Server {
        let peers = PeerTLSTestResults()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let identity = PeerIdentityHandler(
                        allowedNodes: allowedNodes,
                        cluster: cluster,
                        logger: logger,
                        handshakeTimeout: handshakeTimeout,
                        localNode: localNode,
                        refusals: refusals
                    )
                    try channel.pipeline.syncOperations.addHandlers(
                        NIOSSLServerHandler(context: context),
                        identity,
                        PeerTLSTestEchoHandler()
                    )
                    identity.peerNodeName.whenComplete { peers.append($0) }
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return Server(channel: channel, peers: peers)
    }

    /// Connects with PeerIdentityHandler after the TLS handler; returns the channel and what it learned.
    func connect(
        port: Int,
        context: NIOSSLContext,
        allowedNodes: Set<String>,
        cluster: String,
        logger: Logger
    ) async throws -> (channel: any Channel, peer: EventLoopFuture<String>, events: PeerTLSTestEventRecorder) {
        let events = PeerTLSTestEventRecorder()
        // Taken in the initializer: a refused connection may be torn down before connect() returns.
        let identified = group.next().makePromise(of: String.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let identity = PeerIdentityHandler(allowedNodes: allowedNodes, cluster: cluster, logger: logger)
                    try channel.pipeline.syncOperations.addHandlers(
                        try NIOSSLClientHandler(context: context, serverHostname: nil),
                        identity,
                        PeerTLSTestEventHandler(recorder: events)
                    )
                    identity.peerNodeName.cascade(to: identified)
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return (channel, identified.futureResult, events)
    }

    /// Connects with only a TLS handler (for clients that are not proper nodes).
    func connectPlainTLS(port: Int, configuration: TLSConfiguration) async throws -> any Channel {
        let context = try NIOSSLContext(configuration: configuration)
        return try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: context, serverHostname: nil)
                    )
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
    }

    /// Connects with no TLS at all.
    func connectTCP(port: Int) async throws -> any Channel {
        try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get()
    }

    /// Connects with no TLS and writes `text` as soon as the connection is up, on its event loop: a busy test pool
    /// cannot delay the write past the server's handshake timeout (which would close the connection first).
    func connectTCP(port: Int, sending text: String) async throws -> any Channel {
        try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SendWhenActive(text: text))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
    }

    func shutdown() async throws {
        try await group.shutdownGracefully()
    }
}

final class PeerTLSTestResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<String, any Error>] = []

    var all: [Result<String, any Error>] { lock.withLock { results } }

    func append(_ result: Result<String, any Error>) {
        lock.withLock { results.append(result) }
    }
}

enum PeerTLSTestFailure: Error {
    case accepted(String)
    case timedOut(String)
}

/// Waits for `future` but gives up after five seconds, so a regression fails the test instead of hanging it.
func peerTLSWait<T: Sendable>(_ future: EventLoopFuture<T>, _ what: String) async throws -> T {
    let bounded = future.eventLoop.makePromise(of: T.self)
    future.cascade(to: bounded)
    let timer = future.eventLoop.scheduleTask(in: .seconds(5)) {
        bounded.fail(PeerTLSTestFailure.timedOut("\(what) did not happen within 5 s"))
    }
    defer { timer.cancel() }
    return try await bounded.futureResult.get()
}

/// Echoes what it reads, proving traffic passes through PeerIdentityHandler once identified.
final class PeerTLSTestEchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(data, promise: nil)
    }
}

/// Keeps what reaches the end of a client pipeline: user events and bytes.
final class PeerTLSTestEventRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var identifiedEvents: [PeerIdentifiedEvent] = []
    private var bytes: [UInt8] = []

    var identified: [PeerIdentifiedEvent] { lock.withLock { identifiedEvents } }
    var received: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }

    fileprivate func add(_ event: PeerIdentifiedEvent) { lock.withLock { identifiedEvents.append(event) } }
    fileprivate func add(_ buffer: ByteBuffer) { lock.withLock { bytes += buffer.readableBytesView } }
}

final class PeerTLSTestEventHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let recorder: PeerTLSTestEventRecorder

    init(recorder: PeerTLSTestEventRecorder) {
        self.recorder = recorder
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? PeerIdentifiedEvent {
            recorder.add(event)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        recorder.add(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Writes its text once the channel is active.
private final class SendWhenActive: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let text: String

    init(text: String) { self.text = text }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
        context.fireChannelActive()
    }
}
