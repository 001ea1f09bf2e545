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

/// The share's source tree on disk as the primary's sender reads it (`SourceFiles`): sends each file as `FileRead`
/// reads it (fileBegin, chunks, fileEnd with the SHA-256 of what was read; fileAbandon if it changed while it was
/// read: the replica never receives a mix of two versions). The small files of a batch are read ahead by
/// `FileReadAhead`'s workers while the sender puts the ones before them on the connection.
final class FileSender: SourceFiles {
    private let tools: FileReadTools
    private let compressionLevel: Int32
    /// The share's small-file dictionary and the connection's record of what it sent; nil: no dictionary.
    private let dictionary: (SmallFileDictionary, DictionaryOffer)?
    /// Made at the first batch worth it: a live change of one file never starts a worker.
    private(set) var readAhead: FileReadAhead?
    private var readAheadFailed = false

    init(
        share: ShareDirectory, compressionLevel: Int32 = 1, dictionary: (SmallFileDictionary, DictionaryOffer)? = nil
    ) throws {
        self.compressionLevel = compressionLevel
        self.dictionary = dictionary
        tools = try FileReadTools(share: share, compressionLevel: compressionLevel)
    }

    deinit { readAhead?.cancel() }

    func willSend(_ paths: [String]) {
        guard paths.count >= FileReadAhead.minimumBatch, !readAheadFailed else { return }
        if readAhead == nil {
            do {
                readAhead = try FileReadAhead(
                    share: tools.share, compressionLevel: compressionLevel, dictionary: dictionary?.0)
            } catch {
                // Without workers (no descriptor or memory for them) the sender reads every file itself.
                readAheadFailed = true
                return
            }
        }
        readAhead?.plan(paths)
    }

    /// - Parameter progress: called with the bytes read after each chunk.
    func send(
        path: String, basis: DeltaBasis, signature: [UInt8]?, emit: (PeerMessage) async throws -> Void,
        progress: (Int64) -> Void
    ) async throws -> SentFile<FileStatus> {
        if signature == nil, let readAhead, case .prepared(let file)? = await readAhead.take(path) {
            try await offer(file.dictionary, emit: emit)
            for message in file.messages { try await emit(message) }
            progress(file.bytesRead)
            return file.outcome
        }
        let file: FileRead
        switch try FileRead.open(
            path, basis: basis, signature: signature, dictionary: dictionary?.0, tools: tools)
        {
        case .skipped(let reason): return .skipped(reason: reason)
        case .reading(let opened): file = opened
        }
        try await offer(file.dictionary, emit: emit)
        var messages: [PeerMessage] = []
        while file.outcome == nil {
            let bytes = try file.next(into: &messages)
            for message in messages { try await emit(message) }
            messages.removeAll(keepingCapacity: true)
            progress(bytes)
        }
        return file.outcome ?? .abandoned(reason: "read ended early")
    }

    /// A small file compressed with the share's dictionary: the dictionary goes first, once per connection.
    private func offer(_ used: SmallFileDictionary?, emit: (PeerMessage) async throws -> Void) async throws {
        guard let used, let offer = dictionary?.1, offer.firstUse(of: used.id) else { return }
        try await emit(.compressionDictionary(id: used.id, data: ByteBuffer(bytes: used.wire)))
    }

    /// SHA-256 of a source file (a rename's, a verification's); nil if it cannot be read or changes meanwhile.
    /// - Parameter index: a record there that still describes the file gives its hash without a read.
    func hash(path: String, vouchedBy index: (any FileIndexLookup)? = nil) -> [UInt8]? {
        guard let fd = try? tools.share.openFileForReading(path) else { return nil }
        defer { close(fd) }
        guard let before = try? FileStatus.of(fd, path: path) else { return nil }
        if let known = index?.record(at: path)?.contentHash(ifItDescribes: before) { return known }
        var hasher = SHA256()
        let buffer = tools.buffer
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0 { return nil }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        guard let after = try? FileStatus.of(fd, path: path), after.isSameVersion(as: before) else { return nil }
        return Array(hasher.finalize())
    }
}
