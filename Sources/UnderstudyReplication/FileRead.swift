#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import UnderstudyCore
import UnderstudyDelta
import UnderstudyFileSystem
import UnderstudySession
import UnderstudyWire

/// What one thread needs to read source files for sending: a share handle, a zstd context, a compression sample
/// and a read buffer. The sender's own task has one; each read-ahead worker another. Used by one thread at a time
/// (a worker's pass from the idle list to the worker under the read-ahead's lock), hence unchecked.
final class FileReadTools: @unchecked Sendable {
    static let readSize = 1024 * 1024
    let share: ShareDirectory
    let compressor: ZstdCompressor
    /// Decides, chunk by chunk, whether a file sent whole is worth compressing.
    let sample: CompressionSample
    let buffer: UnsafeMutableRawBufferPointer

    init(share: ShareDirectory, compressionLevel: Int32) throws {
        self.share = share
        compressor = try ZstdCompressor(level: compressionLevel)
        sample = try CompressionSample()
        buffer = .allocate(byteCount: Self.readSize, alignment: 16)
    }

    deinit { buffer.deallocate() }
}

/// One source file read for sending, a chunk at a time (`next`): fileBegin, its chunks (the whole content, or a
/// delta against the replica's signature; compressed, or stored where a sample shows the content does not compress)
/// and fileEnd with the SHA-256 of what was read. If the file changes while it is read, the transfer ends with
/// fileAbandon: the replica never receives a mix of two versions. Synchronous: the sender's task emits each chunk's
/// messages as they come; a read-ahead worker keeps a small file's messages until the sender takes them.
final class FileRead {
    /// How opening went: a file to read, or why it cannot be sent.
    enum Opening {
        case reading(FileRead)
        case skipped(reason: String)
    }

    let path: String
    /// The file's status before the first byte was read.
    let before: FileStatus
    /// The share's small-file dictionary, when this file is compressed with it: it must reach the standby first.
    let dictionary: SmallFileDictionary?
    /// Bytes read so far.
    private(set) var total: Int64 = 0
    /// The outcome, once the last message is out.
    private(set) var outcome: SentFile<FileStatus>?

    private let fd: Int32
    private let tools: FileReadTools
    private let delta: DeltaGenerator?
    private let basis: DeltaBasis
    /// Samples the chunks of a file sent whole without a dictionary.
    private let sample: CompressionSample?
    private let digest: StreamDigest
    private var begun = false
    private var compressedAny = false
    private var storedAny = false
    /// The zstd stream of a file sent whole ends with the chunk that completes the file.
    private var ended = false
    /// Sized for the file, so thousands of small files do not each allocate a megabyte.
    private let outputCapacity: Int

    /// Opens `path` under `tools.share`; nil signature: whole.
    /// - Parameter dictionary: the share's small-file dictionary, used when the file is small and sent whole.
    static func open(
        _ path: String, basis: DeltaBasis, signature: [UInt8]?, dictionary: SmallFileDictionary?,
        tools: FileReadTools
    ) throws -> Opening {
        let fd: Int32
        do {
            fd = try tools.share.openFileForReading(path)
        } catch {
            return .skipped(reason: "\(error)")
        }
        do {
            let before = try FileStatus.of(fd, path: path)
            guard before.kind == .file else {
                close(fd)
                return .skipped(reason: "no longer a regular file")
            }
            let delta = try signature.map { try DeltaGenerator(signature: $0) }
            let small =
                delta == nil && before.size <= SmallFileDictionary.maximumFileSize ? dictionary : nil
            tools.compressor.reset()
            try tools.compressor.use(small?.dictionary)
            // From here the object owns the descriptor (its deinit closes it): nothing below may throw.
            return .reading(
                FileRead(
                    path: path, fd: fd, before: before, delta: delta, basis: basis, dictionary: small, tools: tools))
        } catch {
            close(fd)
            throw error
        }
    }

    private init(
        path: String, fd: Int32, before: FileStatus, delta: DeltaGenerator?, basis: DeltaBasis,
        dictionary: SmallFileDictionary?, tools: FileReadTools
    ) {
        self.path = path
        self.fd = fd
        self.before = before
        self.delta = delta
        self.basis = basis
        self.dictionary = dictionary
        self.tools = tools
        // A file sent whole without a dictionary goes chunk by chunk compressed or as it is, as a sample of each chunk
        // says; the compressed chunks form one zstd stream. A small file with the share's dictionary (the off-site
        // hop, where bytes cost more than CPU) is always compressed: what the dictionary saves, content repeated
        // across files, is not seen by a sample of the file alone.
        sample = delta == nil && dictionary == nil ? tools.sample : nil
        // Hashed beside the read when the file is large (the delta search or compression go on meanwhile).
        digest = StreamDigest(size: before.size)
        outputCapacity = Int(min(Int64(FileReadTools.readSize), before.size)) + 4096
    }

    deinit { close(fd) }

    /// Reads the next chunk and appends the messages that carry it to `messages` (the first call also fileBegin; the
    /// last fileEnd or fileAbandon). Once `outcome` is set there is nothing more.
    /// - Returns: the bytes read by this call.
    func next(into messages: inout [PeerMessage]) throws -> Int64 {
        precondition(outcome == nil, "a file read is over once its outcome is known")
        if !begun {
            begun = true
            messages.append(
                .fileBegin(
                    FileHeader(
                        path: path, size: before.size, attributes: before.attributes,
                        basis: delta == nil ? .none : basis)))
        }
        let buffer = tools.buffer
        var count = 0
        repeat { count = read(fd, buffer.baseAddress, buffer.count) } while count < 0 && errno == EINTR
        if count < 0 {
            let reason = "read failed: \(String(cString: strerror(errno)))"
            messages.append(.fileAbandon(reason: reason))
            outcome = .abandoned(reason: "read failed")
            return 0
        }
        total += Int64(count)
        // A file that grew while it was read is abandoned; nothing past its size is hashed or sent.
        if total > before.size {
            try finish(into: &messages)
            return 0
        }
        let input = UnsafeRawBufferPointer(rebasing: buffer[..<count])
        try encode(input, isLast: count == 0, into: &messages)
        return count == 0 ? 0 : Int64(count)
    }

    private func encode(_ input: UnsafeRawBufferPointer, isLast: Bool, into messages: inout [PeerMessage]) throws {
        digest.update(input)
        let compressor = tools.compressor
        var output = ByteBufferAllocator().buffer(capacity: outputCapacity)
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
            messages.append(.fileChunkStored(output))
            output = ByteBufferAllocator().buffer(capacity: 0)
        } else {
            compressedAny = true
            // The chunk that completes the file ends the stream: a small file goes in one chunk, and zstd, told the
            // frame's size by an end on its first call, sizes its tables for it instead of for a stream.
            ended = total == before.size
            try compressor.compress(input, mode: ended ? .end : .flush, output: sink)
        }
        if output.readableBytes > 0 { messages.append(.fileChunk(output)) }
        if isLast { try finish(into: &messages) }
    }

    /// The end: fileEnd if the file is still the version whose bytes were read, fileAbandon otherwise.
    private func finish(into messages: inout [PeerMessage]) throws {
        let after = try FileStatus.of(fd, path: path)
        guard total == before.size, after.isSameVersion(as: before) else {
            messages.append(.fileAbandon(reason: "changed while it was read"))
            outcome = .abandoned(reason: "changed while it was read")
            return
        }
        let hash = digest.finish().hash
        messages.append(.fileEnd(contentHash: hash))
        outcome = .sent(hash: hash, receipt: after)
    }
}
