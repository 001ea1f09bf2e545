import CZstd

/// Says whether a chunk is worth compressing, from a sample of it: a few pieces spread over the chunk, compressed
/// together at zstd's fastest regular level. Random data, media and archives come out no smaller, and compressing
/// them anyway costs the sender and the receiver a pass over every byte for nothing; the sample costs about 1/64 of
/// that pass on a MiB.
public final class CompressionSample {
    /// Chunks shorter than this are compressed without a sample: their zstd pass is too short to be worth saving.
    public static let minimumChunk = 64 * 1024
    static let pieces = 4
    static let pieceSize = 4 * 1024
    /// A chunk is compressed when its sample shrinks by at least this share.
    static let minimumSaving = 0.08

    private let context: OpaquePointer
    private let sample: UnsafeMutableRawBufferPointer
    private let output: UnsafeMutableRawBufferPointer

    public init() throws {
        guard let context = ZSTD_createCCtx() else {
            throw DeltaError(code: .outOfMemory, message: "zstd could not allocate a compression context")
        }
        self.context = context
        let size = Self.pieces * Self.pieceSize
        sample = .allocate(byteCount: size, alignment: 16)
        output = .allocate(byteCount: ZSTD_compressBound(size), alignment: 16)
    }

    deinit {
        ZSTD_freeCCtx(context)
        sample.deallocate()
        output.deallocate()
    }

    /// Whether `chunk` should go compressed: true for short chunks, and when the sample shrinks enough.
    public func compresses(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard chunk.count >= Self.minimumChunk, let base = chunk.baseAddress else { return true }
        // Pieces at the start, the end and evenly between, so a chunk that is half text and half noise is seen as
        // such.
        let stride = (chunk.count - Self.pieceSize) / (Self.pieces - 1)
        for piece in 0..<Self.pieces {
            (sample.baseAddress! + piece * Self.pieceSize).copyMemory(
                from: base + piece * stride, byteCount: Self.pieceSize)
        }
        let compressed = ZSTD_compressCCtx(
            context, output.baseAddress, output.count, sample.baseAddress, sample.count, 1)
        // An error here only means the sample says nothing: compress, as without a sample.
        guard ZSTD_isError(compressed) == 0 else { return true }
        return Double(compressed) <= Double(sample.count) * (1 - Self.minimumSaving)
    }
}
