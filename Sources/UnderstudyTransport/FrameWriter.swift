import NIOCore
import UnderstudyWire

/// Encodes messages into one buffer and hands it to the channel in large writes, so 20,000 small files do not
/// cost 60,000 trips to the event loop. Backpressure comes from the channel writer. Used by one task at a time.
public final class FrameWriter: @unchecked Sendable {
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var buffer: ByteBuffer
    private let flushThreshold: Int
    public private(set) var bytesWritten: Int64 = 0
    /// The bandwidth limit of the group being synced, if it has one; set between syncs.
    package var throttle: BandwidthThrottle?

    public init(outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, flushThreshold: Int = 256 * 1024) {
        self.outbound = outbound
        self.flushThreshold = flushThreshold
        buffer = ByteBufferAllocator().buffer(capacity: flushThreshold + 64 * 1024)
    }

    public func send(_ message: PeerMessage) async throws {
        PeerFrameCodec.encode(message, into: &buffer)
        if buffer.readableBytes >= flushThreshold { try await flush() }
    }

    /// Sends a message that may arrive in any order relative to the stream (a notice), from any task: it
    /// travels as a frame of its own and never touches the buffer the stream's task is filling.
    public func sendNotice(_ message: PeerMessage) async throws {
        var frame = ByteBuffer()
        PeerFrameCodec.encode(message, into: &frame)
        try await outbound.write(frame)
    }

    public func flush() async throws {
        guard buffer.readableBytes > 0 else { return }
        let chunk = buffer
        bytesWritten += Int64(chunk.readableBytes)
        buffer = ByteBufferAllocator().buffer(capacity: flushThreshold + 64 * 1024)
        if let throttle { try await throttle.pace(chunk.readableBytes) }
        try await outbound.write(chunk)
    }
}
