import NIOCore
import UnderstudyCore
import UnderstudyDelta
import UnderstudyTransport
import UnderstudyWire

/// Manifests on the wire: one `manifestChunk` (zstd-compressed `ManifestCodec` entries, one frame each), a whole
/// manifest (`manifestChunk*` then `manifestEnd`), and a manifest kept as one compressed blob (a rejoin base in the
/// state database). The syncs and the rejoin share it.
package enum ManifestTransfer {
    /// Entries per chunk.
    static let chunkEntries = 2000

    static func encodeChunk(
        _ entries: some Collection<ManifestEntry>, _ compressor: ZstdCompressor
    ) throws -> ByteBuffer {
        try compress(ManifestCodec.encode(entries), compressor)
    }

    /// A chunk holds at most a few thousand entries; one that decompresses far larger is a decompression bomb.
    static func decodeChunk(_ compressed: ByteBuffer, _ decompressor: ZstdDecompressor) throws -> [ManifestEntry] {
        try ManifestCodec.decode(try decompress(compressed, decompressor, limit: 64 << 20))
    }

    package static func send(_ entries: [ManifestEntry], writer: FrameWriter) async throws {
        let compressor = try ZstdCompressor(level: 3)
        var start = 0
        while start < entries.count {
            let end = min(start + chunkEntries, entries.count)
            try await writer.send(.manifestChunk(try encodeChunk(entries[start..<end], compressor)))
            start = end
        }
        try await writer.send(.manifestEnd(partials: [], removed: []))
        try await writer.flush()
    }

    package static func receive(
        what: String, _ next: () async throws -> PeerMessage?
    ) async throws -> [String: ManifestEntry] {
        let decompressor = try ZstdDecompressor()
        var entries: [String: ManifestEntry] = [:]
        while true {
            switch try await next() {
            case .manifestChunk(let compressed)?:
                for entry in try decodeChunk(compressed, decompressor) { entries[entry.path] = entry }
            case .manifestEnd?:
                return entries
            case .error(let code, let text)?:
                throw PeerSessionError.remote(code, text)
            case .some(let message):
                throw PeerSessionError.unexpected(message, "while receiving \(what)")
            case nil:
                throw PeerSessionError.closed("while receiving \(what)")
            }
        }
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
