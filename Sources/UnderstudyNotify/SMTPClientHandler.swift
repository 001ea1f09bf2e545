import NIOCore
import NIOSSL
import NIOTLS
import UnderstudySupport

/// Drives one SMTP session on a channel: feeds the server's bytes to `SMTPReplyParser`, the replies to
/// `SMTPConversation`, and performs what it says — writes a command, upgrades to TLS after STARTTLS,
/// says QUIT once the message is taken. Owns the session's deadline so a timeout can say what it was
/// waiting for. Completes `promise` exactly once.
final class SMTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct TLS {
        let context: NIOSSLContext
        /// For SNI and the certificate check; nil for an IP address (checked against the certificate's IP entries).
        let hostname: String?
    }

    private var conversation: SMTPConversation
    private var parser = SMTPReplyParser()
    private let tls: TLS?
    private let promise: EventLoopPromise<Void>
    private let deadline: NIODeadline
    private let timeout: Double
    private var timer: Scheduled<Void>?
    private var finished = false

    init(
        conversation: SMTPConversation, tls: TLS?, promise: EventLoopPromise<Void>, deadline: NIODeadline,
        timeout: Double
    ) {
        self.conversation = conversation
        self.tls = tls
        self.promise = promise
        self.deadline = deadline
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            fail(
                SMTPError(
                    code: .timedOut,
                    message: "SMTP server \(conversation.server) did not answer within "
                        + "\(DurationText.seconds(timeout)) (waiting for \(conversation.waitingFor))"), context: context
            )
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        parser.append(buffer.readableBytesView)
        do {
            while !finished, let reply = try parser.next() {
                perform(conversation.receive(reply), context: context)
            }
        } catch {
            fail(
                SMTPError(code: .protocolError, message: "SMTP server \(conversation.server) sent a \(error)"),
                context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event, !finished {
            perform(conversation.tlsEstablished(), context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(
            SMTPError(
                code: .connectionClosed,
                message: "SMTP server \(conversation.server) closed the connection "
                    + "while the client was waiting for \(conversation.waitingFor)"), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure = NetworkFailure(error)
        let code: SMTPError.Code =
            failure.kind == .tls ? .tls : failure.kind == .closed ? .connectionClosed : .connectFailed
        fail(
            SMTPError(
                code: code,
                message: "SMTP server \(conversation.server): \(failure.text) "
                    + "(waiting for \(conversation.waitingFor))"), context: context)
    }

    private func perform(_ action: SMTPConversation.Action, context: ChannelHandlerContext) {
        switch action {
        case .send(let line):
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: line + "\r\n")), promise: nil)
        case .sendMessage(let bytes):
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
        case .startTLS:
            startTLS(context: context)
        case .delivered:
            finished = true
            timer?.cancel()
            let promise = self.promise
            // The message is the server's once it said 250; QUIT is a courtesy, sent before closing.
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "QUIT\r\n"))).whenComplete { _ in
                promise.succeed(())
            }
        case .fail(let error):
            fail(error, context: context)
        }
    }

    private func startTLS(context: ChannelHandlerContext) {
        guard let tls else {
            fail(
                SMTPError(code: .tls, message: "SMTP server \(conversation.server): STARTTLS without TLS settings"),
                context: context)
            return
        }
        // Bytes that came before the handshake must not pass for protected ones (the STARTTLS injection of CVE-2011-0411).
        guard parser.isEmpty else {
            fail(
                SMTPError(
                    code: .protocolError,
                    message: "SMTP server \(conversation.server) sent more after agreeing to "
                        + "STARTTLS; refusing to go on"), context: context)
            return
        }
        do {
            let handler = try NIOSSLClientHandler(context: tls.context, serverHostname: tls.hostname)
            try context.pipeline.syncOperations.addHandler(handler, position: .first)
        } catch {
            fail(
                SMTPError(code: .tls, message: "SMTP server \(conversation.server): TLS could not start: \(error)"),
                context: context)
        }
    }

    private func fail(_ error: SMTPError, context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        promise.fail(error)
        context.close(promise: nil)
    }
}
