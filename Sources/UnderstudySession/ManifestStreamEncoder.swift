import NIOCore
import UnderstudyCore
import UnderstudyDelta

/// A replica's manifest encoded as its walk hands the entries over, so a large tree is never held whole: the
/// entries are kept as they come up to `limit` (a manifest that small is the base of the next incremental one, which
/// needs it sorted and whole), and from the first batch past it everything goes into compressed chunks, none kept.
package final class ManifestStreamEncoder {
    package enum Outcome {
        /// At most `limit` entries: all of them, sorted by path.
        case entries([ManifestEntry])
        /// More: the manifest's chunks (in walk order, `ManifestTransfer.chunkEntries` entries each), and their count.
        case chunks([ByteBuffer], count: Int)
    }

    package let limit: Int
    private let compressor: ZstdCompressor
    private var kept: [ManifestEntry] = []
    /// Entries past the limit not yet in a full chunk.
    private var waiting: [ManifestEntry] = []
    private var chunks: [ByteBuffer]?
    private var count = 0
    private var failure: (any Error)?

    package init(limit: Int) throws {
        self.limit = limit
        compressor = try ZstdCompressor(level: 3)
    }

    /// The next entries of the walk (content hashes are not sent: they are dropped here). A failure to encode is
    /// kept, and thrown by `finish`.
    package func take(_ batch: [ManifestEntry]) {
        guard failure == nil else { return }
        do {
            try add(batch)
        } catch {
            failure = error
        }
    }

    private func add(_ batch: [ManifestEntry]) throws {
        count += batch.count
        if chunks == nil {
            if count <= limit {
                kept += batch
                return
            }
            chunks = []
            waiting = kept
            kept = []
        }
        waiting += batch
        try encode(leavingLessThanAChunk: true)
    }

    /// After the walk's last batch.
    package func finish() throws -> Outcome {
        if let failure { throw failure }
        guard chunks != nil else {
            let entries = kept.sorted { $0.path < $1.path }
            kept = []
            return .entries(entries)
        }
        try encode(leavingLessThanAChunk: false)
        return .chunks(chunks ?? [], count: count)
    }

    private func encode(leavingLessThanAChunk: Bool) throws {
        let size = ManifestTransfer.chunkEntries
        var start = 0
        while waiting.count - start >= size || (!leavingLessThanAChunk && start < waiting.count) {
            let end = min(start + size, waiting.count)
            let piece = waiting[start..<end].map { entry in
                var entry = entry
                entry.contentHash = nil
                return entry
            }
            chunks?.append(try ManifestTransfer.encodeChunk(piece, compressor))
            start = end
        }
        waiting.removeFirst(start)
    }
}
