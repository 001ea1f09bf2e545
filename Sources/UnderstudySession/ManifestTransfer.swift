import NIOCore
import UnderstudyCore
import UnderstudyDelta
import UnderstudyWire

/// Manifests on the wire: one `manifestChunk` (zstd-compressed `ManifestCodec` entries, one frame each), a whole
/// manifest (`manifestChunk*` then `manifestEnd`), and a manifest kept as one compressed blob (a rejoin base in the
/// state database). The syncs and the rejoin share it.
package enum ManifestTransfer {
    /// Entries per chunk.
    package static let chunkEntries = 2000

    package static func encodeChunk(
        _ entries: some Collection<ManifestEntry>, _ compressor: ZstdCompressor
    ) throws -> ByteBuffer {
        try compress(ManifestCodec.encode(entries), compressor)
    }

    /// A chunk holds at most a few thousand entries; one that decompresses far larger is a decompression bomb.
    package static func decodeChunk(
        _ compressed: ByteBuffer, _ decompressor: ZstdDecompressor
    ) throws -> [ManifestEntry] {
        try ManifestCodec.decode(try decompress(compressed, decompressor, limit: 64 << 20))
    }

    package static func blob(_ entries: [ManifestEntry]) throws -> [UInt8] {
        let compressed = try compress(ManifestCodec.encode(entries), try ZstdCompressor(level: 3))
        return Array(compressed.readableBytesView)
    }

    package static func entries(ofBlob blob: [UInt8]) throws -> [ManifestEntry] {
        try ManifestCodec.decode(try decompress(ByteBuffer(bytes: blob), try ZstdDecompressor(), limit: 4 << 30))
    }

    private static func compress(_ plain: ByteBuffer, _ compressor: ZstdCompressor) throws -> ByteBuffer {
        var compressed = ByteBuffer()
        compressor.reset()
        try plain.withUnsafeReadableBytes { raw in
            try compressor.compress(raw, mode: .end) { compressed.writeBytes($0) }
        }
        return compressed
    }

    private static func decompress(
        _ compressed: ByteBuffer, _ decompressor: ZstdDecompressor, limit: Int
    ) throws -> ByteBuffer {
        var plain = ByteBuffer()
        decompressor.reset()
        try compressed.withUnsafeReadableBytes { raw in
            try decompressor.decompress(raw) { bytes in
                guard plain.readableBytes + bytes.count <= limit else {
                    throw WireError(.malformedFrame, "a manifest chunk decompresses to more than \(limit >> 20) MiB")
                }
                plain.writeBytes(bytes)
            }
        }
        guard decompressor.isFrameComplete else {
            throw WireError(.malformedFrame, "a manifest holds an incomplete zstd frame")
        }
        return plain
    }
}
