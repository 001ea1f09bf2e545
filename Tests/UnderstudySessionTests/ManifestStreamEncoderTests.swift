import NIOCore
import Testing
import UnderstudyCore
import UnderstudyDelta
import UnderstudySession

/// A replica's manifest encoded as its walk goes: whole entries up to the base limit, compressed chunks past it,
/// and in both cases exactly the entries the walk found.
@Suite struct ManifestStreamEncoderTests {
    static func entry(_ index: Int) -> ManifestEntry {
        let attributes = FileAttributes(
            mode: 0o644, uid: 0, gid: 0, mtimeSeconds: Int64(index), mtimeNanoseconds: 0)
        let hash = [UInt8](repeating: UInt8(index % 251), count: 32)
        let path = "d\(index % 7)/f\(index)"
        return ManifestEntry(
            path: path, kind: .file, size: Int64(index), attributes: attributes, inode: UInt64(index) + 1,
            contentHash: hash)
    }

    static func entries(_ count: Int) -> [ManifestEntry] {
        (0..<count).map(entry)
    }

    /// The walk's entries in batches of `size`, in the order given.
    static func encode(_ entries: [ManifestEntry], limit: Int, batch size: Int) throws -> ManifestStreamEncoder.Outcome
    {
        let encoder = try ManifestStreamEncoder(limit: limit)
        for start in stride(from: 0, to: entries.count, by: size) {
            encoder.take(Array(entries[start..<min(start + size, entries.count)]))
        }
        return try encoder.finish()
    }

    @Test func atMostTheLimit_theEntriesComeBackSorted() throws {
        let walked = Self.entries(50).shuffled()
        guard case .entries(let entries) = try Self.encode(walked, limit: 50, batch: 9) else {
            Issue.record("50 entries within a limit of 50 came back encoded")
            return
        }
        #expect(entries == walked.sorted { $0.path < $1.path })
    }

    @Test func pastTheLimit_everyEntryIsInTheChunks_withoutItsHash_andNoneIsKept() throws {
        let walked = Self.entries(ManifestTransfer.chunkEntries * 2 + 123).shuffled()
        guard case .chunks(let chunks, let count) = try Self.encode(walked, limit: 100, batch: 333) else {
            Issue.record("past the limit, the entries came back whole")
            return
        }
        #expect(count == walked.count)
        let decompressor = try ZstdDecompressor()
        var decoded: [ManifestEntry] = []
        for chunk in chunks {
            let entries = try ManifestTransfer.decodeChunk(chunk, decompressor)
            #expect(entries.count <= ManifestTransfer.chunkEntries)
            decoded += entries
        }
        #expect(chunks.count == 3)
        let expected = walked.map { entry in
            var entry = entry
            entry.contentHash = nil
            return entry
        }
        #expect(decoded == expected, "the chunks hold the walk's entries, in its order, without their hashes")
    }

    @Test func anEmptyWalk_isNoEntries() throws {
        guard case .entries(let entries) = try Self.encode([], limit: 0, batch: 1) else {
            Issue.record("an empty walk came back encoded")
            return
        }
        #expect(entries.isEmpty)
    }
}
