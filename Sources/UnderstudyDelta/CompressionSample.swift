import CZstd
#if canImport(Glibc)
import Glibc
#endif

/// Says whether a chunk is worth compressing, from a sample of it: a few pieces spread over the chunk, compressed
/// together at zstd's fastest regular level. Random data, media and archives come out no smaller, and compressing
/// them anyway costs the sender and the receiver a pass over every byte for nothing; the sample costs about 1/64 of
/// that pass on a MiB.
///
/// A short chunk (a small file is one) is judged by the spread of its first bytes instead (their order-0 entropy):
/// compressing a sample of it would cost as much as compressing it. Bytes spread over nearly all 256 values, as
/// noise, ciphertext and compressed data are, cannot shrink by the saving asked for by coding alone; a short chunk
/// that would shrink only by repeating itself (the same random block twice) is sent as it is, which costs bytes on
/// the wire and nothing else.
public final class CompressionSample {
    /// Chunks shorter than this are judged by the entropy of their first bytes instead of a compressed sample.
    public static let minimumChunk = 64 * 1024
    /// Chunks shorter than this are compressed without a look: too short to judge, and cheap to compress.
    public static let minimumJudged = 512
    /// How many of a short chunk's first bytes are counted.
    static let entropySample = 4 * 1024
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

    /// Whether `chunk` should go compressed: true for the shortest chunks, and when the sample shrinks enough.
    public func compresses(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard chunk.count >= Self.minimumJudged, let base = chunk.baseAddress else { return true }
        guard chunk.count >= Self.minimumChunk else {
            let counted = UnsafeRawBufferPointer(start: base, count: min(chunk.count, Self.entropySample))
            return Self.bitsPerByte(counted) <= 8 * (1 - Self.minimumSaving)
        }
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

    /// The order-0 entropy of `bytes`, in bits per byte: 8 for bytes spread evenly over all values, about 4.5 for
    /// English text. A sample of n random bytes comes out a little under 8 (7.95 for 4 KiB, 7.64 for 512 bytes).
    static func bitsPerByte(_ bytes: UnsafeRawBufferPointer) -> Double {
        guard bytes.count > 0 else { return 0 }
        return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 256) { counts in
            counts.initialize(repeating: 0)
            for byte in bytes { counts[Int(byte)] &+= 1 }
            let total = Double(bytes.count)
            var sum = 0.0
            for count in counts where count > 0 {
                let share = Double(count) / total
                sum -= share * log2(share)
            }
            return sum
        }
    }
}
