import Logging
import NIOCore
import NIOSSL
import NIOTLS
import UnderstudySupport
import X509

/// Fired inbound once the peer's certificate names a node of the cluster.
public struct PeerIdentifiedEvent: Sendable, Equatable {
    public let nodeName: String

    public init(nodeName: String) {
        self.nodeName = nodeName
    }
}

/// Decides who is on the other end of a TLS connection. Put it right after the `NIOSSLServerHandler` /
/// `NIOSSLClientHandler` made from a `PeerTLS` context (which has already verified the certificate
/// against the cluster CA). After the handshake it reads the peer certificate's common name: a node of
/// the cluster is announced with a `PeerIdentifiedEvent` and its traffic passed through; anything else —
/// another name, a failed handshake, no handshake in time — is logged at warning as
/// "refused peer <address>: <reason>" and the channel closed. `peerNodeName` completes either way.
///
/// On the client side of TLS 1.3 the handshake completes before the server has checked our certificate,
/// so "identified" there means the server is authentic; a server that refuses us shows up afterwards
/// as an error and a close.
public final class PeerIdentityHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    private enum State {
        case awaitingHandshake
        case identified(String)
        case refused
    }

    private let allowedNodes: Set<String>
    private let cluster: String
    private let logger: Logger
    /// This node's own name: a connection that presents it reached this node from itself (a misconfigured address).
    private let localNode: String?
    private let refusals: RefusalLog
    private let handshakeTimeout: TimeAmount?
    private var state = State.awaitingHandshake
    private var promise: EventLoopPromise<String>?
    private var future: EventLoopFuture<String>?
    private var remoteAddress = "unknown address"
    private var timeout: Scheduled<Void>?

    /// - Parameter handshakeTimeout: how long a connection may take to complete the handshake before it
    ///   is refused, so that silent connections cannot pile up; `nil` waits forever.
    /// - Parameter localNode: this node's name, so that a connection to itself is told as such.
    /// - Parameter refusals: where refusals are logged, shared by a listener's connections so that a flood of them is
    ///   counted rather than logged line by line; by default this connection's own.
    public init(
        allowedNodes: Set<String>,
        cluster: String,
        logger: Logger,
        handshakeTimeout: TimeAmount? = .seconds(10),
        localNode: String? = nil,
        refusals: RefusalLog? = nil
    ) {
        self.allowedNodes = allowedNodes
        self.cluster = cluster
        self.logger = logger
        self.handshakeTimeout = handshakeTimeout
        self.localNode = localNode
        self.refusals = refusals ?? RefusalLog(logger: logger)
    }

    /// Completes with the peer's node name, or fails with a `PeerRefusedError`.
    /// Available once the handler has been added to a pipeline.
    public var peerNodeName: EventLoopFuture<String> {
        guard let future else {
            preconditionFailure(
                "PeerIdentityHandler.peerNodeName is available only after the handler is added to a pipeline")
        }
        return future
    }

    /// The peer's node name once identified, else nil. Read it on the channel's event loop.
    public var identifiedNodeName: String? {
        if case .identified(let name) = state { return name }
        return nil
    }

    // MARK: - Channel events

    public func handlerAdded(context: ChannelHandlerContext) {
        let promise = context.eventLoop.makePromise(of: String.self)
        self.promise = promise
        self.future = promise.futureResult
        if context.channel.isActive {
            noteActive(context: context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimeout()
        if case .awaitingHandshake = state {
            state = .refused
            complete(
                .failure(
                    PeerRefusedError(
                        code: .closedBeforeHandshake,
                        remoteAddress: remoteAddress,
                        reason: "identity handler removed before the TLS handshake completed"
                    )))
        }
    }

    public func channelActive(context: ChannelHandlerContext) {
        noteActive(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        if case .awaitingHandshake = state {
            refuse(
                .closedBeforeHandshake, reason: "closed the connection before the TLS handshake completed",
                context: context)
        }
        cancelTimeout()
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case .awaitingHandshake = state,
            let tlsEvent = event as? TLSUserEvent,
            case .handshakeCompleted = tlsEvent
        else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        cancelTimeout()
        guard let nodeName = identify(context: context) else { return }
        state = .identified(nodeName)
        logger.debug("identified peer \(remoteAddress) as node '\(nodeName)'")
        complete(.success(nodeName))
        context.fireUserInboundEventTriggered(event)
        context.fireUserInboundEventTriggered(PeerIdentifiedEvent(nodeName: nodeName))
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Nothing from an unidentified or refused peer reaches the handlers behind this one.
        guard case .identified = state else { return }
        context.fireChannelRead(data)
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        guard case .identified = state else { return }
        context.fireChannelReadComplete()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch state {
        case .awaitingHandshake:
            refuse(.handshakeFailed, reason: Self.describeHandshakeFailure(error), cause: error, context: context)
        case .identified:
            context.fireErrorCaught(error)
        case .refused:
            // Already logged and closing; the TLS handler's follow-up errors add nothing.
            break
        }
    }

    // MARK: - Identity

    /// The peer's node name, or nil after refusing it.
    private func identify(context: ChannelHandlerContext) -> String? {
        let version: TLSVersion?
        let peerCertificate: NIOSSLCertificate?
        do {
            version = try context.pipeline.syncOperations.nioSSL_tlsVersion()
            peerCertificate = try context.pipeline.syncOperations.nioSSL_peerCertificate()
        } catch {
            refuse(
                .noIdentity, reason: "no TLS handler in front of the identity handler", cause: error, context: context)
            return nil
        }
        // PeerTLS already allows only TLS 1.3; checked again so a misconfigured context cannot widen it.
        guard version == .tlsv13 else {
            refuse(
                .handshakeFailed,
                reason: "negotiated \(version.map { "\($0)" } ?? "an unknown TLS version"); only TLS 1.3 is accepted",
                context: context
            )
            return nil
        }
        guard let peerCertificate else {
            refuse(.noIdentity, reason: "presented no certificate", context: context)
            return nil
        }
        let commonName: String
        do {
            commonName = try Certificate(derEncoded: peerCertificate.toDERBytes()).subjectCommonName ?? ""
        } catch {
            refuse(.noIdentity, reason: "certificate could not be read: \(error)", cause: error, context: context)
            return nil
        }
        if let localNode, commonName == localNode, !allowedNodes.contains(commonName) {
            refuse(
                .ownIdentity,
                reason:
                    "certificate names this node itself ('\(commonName)'): it connected to itself; check that no peer's address or link in the configuration is an address of this machine",
                context: context
            )
            return nil
        }
        guard allowedNodes.contains(commonName) else {
            refuse(
                .unknownNode,
                reason: "certificate name '\(commonName)' is not a node of cluster \(cluster)",
                context: context
            )
            return nil
        }
        return commonName
    }

    private func refuse(
        _ code: PeerRefusedError.Code,
        reason: String,
        cause: (any Error)? = nil,
        context: ChannelHandlerContext
    ) {
        state = .refused
        cancelTimeout()
        let refusal = PeerRefusedError(code: code, remoteAddress: remoteAddress, reason: reason, cause: cause)
        refusals.refused(
            source: remoteAddress, reason: code.rawValue, refusal.description,
            metadata: ["peer": "\(remoteAddress)", "cluster": "\(cluster)", "refusal": "\(code.rawValue)"])
        complete(.failure(refusal))
        context.close(promise: nil)
    }

    private func complete(_ result: Result<String, any Error>) {
        promise?.completeWith(result)
        promise = nil
    }

    // MARK: - Connection bookkeeping

    private func noteActive(context: ChannelHandlerContext) {
        // Kept now: once the channel closes, its remote address is no longer available for the log.
        remoteAddress = Self.describe(context.channel.remoteAddress)
        guard timeout == nil, case .awaitingHandshake = state, let handshakeTimeout else { return }
        timeout = context.eventLoop.assumeIsolated().scheduleTask(in: handshakeTimeout) { [self] in
            guard case .awaitingHandshake = state else { return }
            refuse(
                .handshakeTimedOut,
                reason: "did not complete the TLS handshake within \(Self.describe(handshakeTimeout))",
                context: context
            )
        }
    }

    private func cancelTimeout() {
        timeout?.cancel()
        timeout = nil
    }
}

@available(*, unavailable)
extension PeerIdentityHandler: Sendable {}
