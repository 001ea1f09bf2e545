#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import UnderstudySupport
import UnderstudyWire

/// One authenticated peer connection: frames in, encoded buffers out, the peer's node name from its
/// certificate, and a count of bytes received (for status and the tests' "bytes sent" assertions).
public struct PeerConnection: Sendable {
    public let channel: NIOAsyncChannel<PeerMessage, ByteBuffer>
    public let peerNode: EventLoopFuture<String>
    public let counter: ByteCounter
}

/// Counts bytes as they arrive, before TLS is removed: what crossed the wire.
public final class ByteCounter: ChannelInboundHandler, Sendable {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    private let received = NIOLockedValueBox<Int64>(0)

    public init() {}

    public var bytesReceived: Int64 { received.withLockedValue { $0 } }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let count = unwrapInboundIn(data).readableBytes
        received.withLockedValue { $0 += Int64(count) }
        context.fireChannelRead(data)
    }
}

/// Builds the pipeline — TLS 1.3 with client certificates, peer identity check, frame decoder — for both the
/// listening side (the primary) and the connecting side (the standby).
///
/// A peer whose cable is cut sends no FIN: TCP would keep the connection for hours. Keepalive probes after 5 s of
/// silence (every 2 s, 3 times) and a 30 s bound on unacknowledged data end such a connection within half a minute on
/// both sides, where the link's heartbeats do not already (see `MirrorRoute`).
public enum PeerTransport {
    static let keepaliveIdle: SocketOptionValue = 5
    static let keepaliveInterval: SocketOptionValue = 2
    static let keepaliveCount: SocketOptionValue = 3
    /// TCP_USER_TIMEOUT (linux/tcp.h), in milliseconds.
    static let userTimeoutOption: SocketOptionName = 18
    static let userTimeout: SocketOptionValue = 30_000

    static func configure(
        _ channel: Channel, tls: NIOSSLContext, isServer: Bool, allowedNodes: Set<String>,
        cluster: String, logger: Logger, localNode: String?, refusals: RefusalLog?
    ) throws -> PeerConnection {
        let counter = ByteCounter()
        let identity = PeerIdentityHandler(
            allowedNodes: allowedNodes, cluster: cluster, logger: logger, localNode: localNode,
            refusals: refusals)
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(counter)
        if isServer {
            try sync.addHandler(NIOSSLServerHandler(context: tls))
        } else {
            try sync.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: nil))
        }
        try sync.addHandler(identity)
        try sync.addHandler(ByteToMessageHandler(PeerFrameDecoder()))
        // An accepted connection may be dropped unserved by a closing listener: it must close itself then.
        let wrapped: NIOAsyncChannel<PeerMessage, ByteBuffer> =
            isServer
            ? try AcceptedChannel.wrap(channel)
            : try NIOAsyncChannel(wrappingChannelSynchronously: channel)
        return PeerConnection(channel: wrapped, peerNode: identity.peerNodeName, counter: counter)
    }

    /// - Parameter refusals: shared by every connection accepted, so a flood of strangers is counted, not logged line
    ///   by line; `localNode`: this node, so a connection from itself is told as such.
    public static func listen(
        host: String, port: Int, tls: NIOSSLContext, allowedNodes: Set<String>, cluster: String,
        logger: Logger, localNode: String? = nil, refusals: RefusalLog? = nil,
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    )
        async throws -> NIOAsyncChannel<PeerConnection, Never>
    {
        try await listen(
            host: host, port: port, tls: tls, allowing: { allowedNodes }, cluster: cluster, logger: logger,
            localNode: localNode, refusals: refusals, group: group)
    }

    /// As `listen(host:port:tls:allowedNodes:...)`, with the nodes allowed read for each connection (a reload may
    /// add or remove a peer).
    public static func listen(
        host: String, port: Int, tls: NIOSSLContext, allowing allowedNodes: @escaping @Sendable () -> Set<String>,
        cluster: String, logger: Logger, localNode: String? = nil, refusals: RefusalLog? = nil,
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    )
        async throws -> NIOAsyncChannel<PeerConnection, Never>
    {
        let refusals = refusals ?? RefusalLog(logger: logger)
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelOption(
                .socket(SocketOptionLevel(IPPROTO_TCP), SocketOptionName(TCP_KEEPIDLE)), value: keepaliveIdle
            )
            .childChannelOption(
                .socket(SocketOptionLevel(IPPROTO_TCP), SocketOptionName(TCP_KEEPINTVL)), value: keepaliveInterval
            )
            .childChannelOption(
                .socket(SocketOptionLevel(IPPROTO_TCP), SocketOptionName(TCP_KEEPCNT)), value: keepaliveCount
            )
            .childChannelOption(.socket(SocketOptionLevel(IPPROTO_TCP), userTimeoutOption), value: userTimeout)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try configure(
                        channel, tls: tls, isServer: true, allowedNodes: allowedNodes(), cluster: cluster,
                        logger: logger,
                        localNode: localNode, refusals: refusals)
                }
            }
    }

    public static func connect(
        host: String, port: Int, tls: NIOSSLContext, allowedNodes: Set<String>, cluster: String,
        logger: Logger, localNode: String? = nil, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    )
        async throws -> PeerConnection
    {
        try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelOption(
                .socket(SocketOptionLevel(IPPROTO_TCP), SocketOptionName(TCP_KEEPIDLE)), value: keepaliveIdle
            )
            .channelOption(
                .socket(SocketOptionLevel(IPPROTO_TCP), SocketOptionName(TCP_KEEPINTVL)), value: keepaliveInterval
            )
            .channelOption(
                .socket(SocketOptionLevel(IPPROTO_TCP), SocketOptionName(TCP_KEEPCNT)), value: keepaliveCount
            )
            .channelOption(.socket(SocketOptionLevel(IPPROTO_TCP), userTimeoutOption), value: userTimeout)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try configure(
                        channel, tls: tls, isServer: false, allowedNodes: allowedNodes, cluster: cluster,
                        logger: logger,
                        localNode: localNode, refusals: nil)
                }
            }
    }
}
