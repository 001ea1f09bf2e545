import NIOCore
import UnderstudyCore

/// The binary form of manifest entries inside a `manifestChunk` (before compression): a count, then each
/// entry's path, kind, size, attributes, inode, link count and symlink target. Content hashes do not travel:
/// renames are matched by size and mtime and checked by hash on the standby.
public enum ManifestCodec {
    public static func encode(_ entries: some Collection<ManifestEntry>) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: entries.count * 64 + 4)
        buffer.writeInteger(UInt32(entries.count))
        for entry in entries { buffer.writeManifestEntry(entry) }
        return buffer
    }

    public static func decode(_ buffer: ByteBuffer) throws(WireError) -> [ManifestEntry] {
        var reader = FrameReader(buffer: buffer, messageName: "manifestChunk")
        let count: UInt32 = try reader.integer()
        // Each entry takes at least 42 bytes; a larger count is a lie meant to make us allocate.
        guard Int(count) <= reader.remaining / 42 + 1 else {
            throw WireError(.malformedFrame, "manifestChunk claims \(count) entries in \(reader.remaining) bytes")
        }
        var entries: [ManifestEntry] = []
        entries.reserveCapacity(Int(count))
        for _ in 0..<count { entries.append(try reader.manifestEntry()) }
        guard reader.remaining == 0 else {
            throw WireError(.malformedFrame, "manifestChunk: \(reader.remaining) unexpected bytes after the last entry")
        }
        return entries
    }
}
