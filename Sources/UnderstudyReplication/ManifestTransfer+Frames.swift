import UnderstudyCore
import UnderstudyDelta
import UnderstudySession
import UnderstudyTransport
import UnderstudyWire

/// A whole manifest over a connection: `manifestChunk*` then `manifestEnd` (a rejoin's trees).
extension ManifestTransfer {
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
}
