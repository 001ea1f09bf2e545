import NIOCore

/// Splits the byte stream into frames and decodes them; refuses a frame longer than the limit before
/// reading it, so a hostile peer cannot make us buffer without bound.
public struct PeerFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = PeerMessage

    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length: UInt32 = buffer.getInteger(at: buffer.readerIndex) else { return .needMoreData }
        guard Int(length) <= PeerFrameCodec.maximumFrameLength else {
            throw WireError(
                .frameTooLarge, "a frame of \(length) bytes exceeds the limit of \(PeerFrameCodec.maximumFrameLength)")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        var frame = buffer.readSlice(length: Int(length))!
        let message = try PeerFrameCodec.decode(frame: &frame)
        context.fireChannelRead(wrapInboundOut(message))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
