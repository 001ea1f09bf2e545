#if canImport(Glibc)
import Glibc
#endif
import Crypto
import NIOCore
import UnderstudyCore
import UnderstudyDelta
import UnderstudyFileSystem
import UnderstudySession
import UnderstudyState
import UnderstudyTransport
import UnderstudyWire

/// The share's source tree on disk as the primary's sender reads it (`SourceFiles`): reads one source file and sends
/// it as fileBegin, chunks (whole content or a delta against the replica's signature; compressed, or stored where a
/// sample shows the content does not compress) and fileEnd with the SHA-256 of what was read. If the file changes
/// while it is read, the transfer is abandoned: the replica never receives a mix of two versions.
final class FileSender: SourceFiles {
    static let readSize = 1024 * 1024
    private let share: ShareDirectory
    private let compressionLevel: Int32
    private let readBuffer: UnsafeMutableRawBufferPointer
    private let compressor: ZstdCompressor
    /// Decides, chunk by chunk, whether a file sent whole is worth compressing.
    private let sample: CompressionSample

    /// The share's small-file dictionary and the connection's record of what it sent; nil: no dictionary.
    private let dictionary: (SmallFileDictionary, DictionaryOffer)?

    init(
        share: ShareDirectory, compressionLevel: Int32 = 1, dictionary: (SmallFileDictionary, DictionaryOffer)? = nil
    ) throws {
        self.share = share
        self.compressionLevel = compressionLevel
        self.dictionary = dictionary
        compressor = try ZstdCompressor(level: compressionLevel)
        sample = try CompressionSample()
        readBuffer = .allocate(byteCount: FileSender.readSize, alignment: 16)
    }

    deinit { readBuffer.deallocate() }

    /// - Parameter progress: called with the bytes read after each chunk.
    func send(
        path: String, basis: DeltaBasis, signature: [UInt8]?, emit: (PeerMessage) async throws -> Void,
        progress: (Int64) -> Void
    ) async throws -> SentFile<FileStatus> {
        let fd: Int32
        do {
            fd = try share.openFileForReading(path)
        } catch {
            return .skipped(reason: "\(error)")
        }
        defer { close(fd) }
        let before = try FileStatus.of(fd, path: path)
        guard before.kind == .file else { return .skipped(reason: "no longer a regular file") }
        let compressor = self.compressor
        compressor.reset()
        let delta = try signature.map { try DeltaGenerator(signature: $0) }
        // A small file sent whole goes with the share's dictionary, which precedes it once per connection.
        var small: SmallFileDictionary?
        if let (trained, offer) = dictionary, delta == nil, before.size <= SmallFileDictionary.maximumFileSize {
            small = trained
            if offer.firstUse(of: trained.id) {
                try await emit(.compressionDictionary(id: trained.id, data: ByteBuffer(bytes: trained.wire)))
            }
        }
        try compressor.use(small?.dictionary)
        try await emit(
            .fileBegin(
                FileHeader(
                    path: path, size: before.size, attributes: before.attributes,
                    basis: delta == nil ? .none : basis)))
        // Hashed beside the read when the file is large (the delta search or compression go on meanwhile).
        let digest = StreamDigest(size: before.size)
        // A file sent whole without a dictionary goes chunk by chunk compressed or as it is, as a sample of each chunk
        // says; the compressed chunks form one zstd stream. A small file with the share's dictionary (the off-site
        // hop, where bytes cost more than CPU) is always compressed: what the dictionary saves, content repeated
        // across files, is not seen by a sample of the file alone.
        let sample = delta == nil && small == nil ? self.sample : nil
        var compressedAny = false
        var storedAny = false
        // The zstd stream of a file sent whole ends with the chunk that completes the file.
        var ended = false
        var total: Int64 = 0
        // Sized for the file, so thousands of small files do not each allocate a megabyte.
        let outputCapacity = Int(min(Int64(FileSender.readSize), before.size)) + 4096
        var output = ByteBufferAllocator().buffer(capacity: outputCapacity)
        while true {
            let count = read(fd, readBuffer.baseAddress, readBuffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                try await emit(.fileAbandon(reason: "read failed: \(String(cString: strerror(errno)))"))
                return .abandoned(reason: "read failed")
            }
            let input = UnsafeRawBufferPointer(rebasing: readBuffer[..<count])
            let isLast = count == 0
            total += Int64(count)
            // A file that grew while it was read is abandoned below; nothing past its size is sent.
            if total > before.size { break }
            digest.update(input)
            output.clear()
            let sink: (UnsafeRawBufferPointer) throws -> Void = { bytes in output.writeBytes(bytes) }
            if let delta {
                try delta.feed(input, isLast: isLast) { plain in
                    try compressor.compress(plain, mode: .continue, output: sink)
                }
                try compressor.compress(
                    UnsafeRawBufferPointer(start: nil, count: 0), mode: isLast ? .end : .flush, output: sink)
            } else if isLast {
                if !ended && (compressedAny || !storedAny) {
                    try compressor.compress(input, mode: .end, output: sink)
                }
            } else if let sample, !sample.compresses(input) {
                storedAny = true
                output.writeBytes(input)
                try await emit(.fileChunkStored(output))
                output = ByteBufferAllocator().buffer(capacity: outputCapacity)
            } else {
                compressedAny = true
                // The chunk that completes the file ends the stream: a small file goes in one chunk, and zstd, told
                // the frame's size by an end on its first call, sizes its tables for it instead of for a stream.
                ended = total == before.size
                try compressor.compress(input, mode: ended ? .end : .flush, output: sink)
            }
            if output.readableBytes > 0 {
                try await emit(.fileChunk(output))
                output = ByteBufferAllocator().buffer(capacity: outputCapacity)
            }
            progress(Int64(count))
            if isLast { break }
        }
        let after = try FileStatus.of(fd, path: path)
        guard total == before.size, after.isSameVersion(as: before) else {
            try await emit(.fileAbandon(reason: "changed while it was read"))
            return .abandoned(reason: "changed while it was read")
        }
        let hash = digest.finish().hash
        try await emit(.fileEnd(contentHash: hash))
        return .sent(hash: hash, receipt: after)
    }

    /// SHA-256 of a source file (a rename's, a verification's); nil if it cannot be read or changes meanwhile.
    /// - Parameter index: a record there that still describes the file gives its hash without a read.
    func hash(path: String, vouchedBy index: (any FileIndexLookup)? = nil) -> [UInt8]? {
        guard let fd = try? share.openFileForReading(path) else { return nil }
        defer { close(fd) }
        guard let before = try? FileStatus.of(fd, path: path) else { return nil }
        if let known = index?.record(at: path)?.contentHash(ifItDescribes: before) { return known }
        var hasher = SHA256()
        while true {
            let count = read(fd, readBuffer.baseAddress, readBuffer.count)
            if count < 0 { return nil }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: readBuffer[..<count]))
        }
        guard let after = try? FileStatus.of(fd, path: path), after.isSameVersion(as: before) else { return nil }
        return Array(hasher.finalize())
    }
}
