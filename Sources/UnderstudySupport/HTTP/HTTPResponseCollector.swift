import NIOCore
import NIOHTTP1

/// The last handler of an HTTP client connection: sends the request once the connection is up (NIOSSL
/// holds it until the handshake is done) and collects the response head and the first `limit` bytes of
/// the body into `promise`. Any error or an early close fails the promise; the client closes the channel
/// when the promise completes.
final class HTTPResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let request: HTTPRequestHead
    private let requestBody: [UInt8]?
    private let limit: Int
    private let promise: EventLoopPromise<HTTPResponse>
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var done = false

    init(request: HTTPRequestHead, body: [UInt8]?, limit: Int, promise: EventLoopPromise<HTTPResponse>) {
        self.request = request
        self.requestBody = body
        self.limit = limit
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(request)), promise: nil)
        if let requestBody, !requestBody.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: requestBody)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let received):
            // An interim 1xx answer is followed by the real one.
            if received.status.code >= 200 { head = received }
        case .body(var chunk):
            let room = limit - body.count
            if chunk.readableBytes > room {
                body += chunk.readBytes(length: max(0, room)) ?? []
                finish(truncated: true)
                context.close(promise: nil)
            } else {
                body += chunk.readBytes(length: chunk.readableBytes) ?? []
            }
        case .end:
            if head != nil { finish(truncated: false) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(
            NetworkFailure(
                kind: .closed,
                text: head == nil
                    ? "connection closed before a response"
                    : "connection closed before the end of the response"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func finish(truncated: Bool) {
        guard !done, let head else { return }
        done = true
        let fields = head.headers.map { HTTPResponse.Field(name: $0.name, value: $0.value) }
        promise.succeed(
            HTTPResponse(
                status: Int(head.status.code), reason: head.status.reasonPhrase,
                headers: fields, body: body, bodyTruncated: truncated))
    }

    private func fail(_ error: any Error) {
        guard !done else { return }
        done = true
        promise.fail(error)
    }
}
