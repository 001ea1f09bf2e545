#if canImport(Glibc)
import Glibc
#endif
import Crypto
import UnderstudyCore
import UnderstudyDelta
import UnderstudyWire

/// One file arriving from the primary: its payload (zstd-compressed, or stored where it does not compress) →
/// (librsync patch against a basis) → a hidden sibling of its final name, hashed as written so the result is checked
/// against the sender's hash.
public final class IncomingFile {
    public let header: FileHeader
    let temporaryName: String
    let finalName: String
    let descriptor: Int32
    let partialToRemove: String?
    private let decompressor: ZstdDecompressor
    /// The dictionaries received on the connection, one of which the payload's frame may name.
    private let dictionaries: CompressionDictionaries?
    private let patch: PatchApplier?
    private let basisDescriptor: Int32
    /// The SHA-256 of what is written (checked against the sender's) and, for files of at least `signatureMinimum`
    /// bytes, their block signature: kept by the standby so that a later delta of this file needs no read of it.
    private let digest: StreamDigest
    /// The finished file's signature (nil for small files, or if it could not be made).
    public private(set) var signature: [UInt8]?
    public private(set) var bytesWritten: Int64 = 0
    public private(set) var compressedBytesReceived: Int64 = 0
    private var closed = false
    private let directory: Int32
    /// The file system ran out of room while this was written: a partial copy is no basis worth the space it takes.
    private var ranOutOfSpace = false

    package init(
        header: FileHeader, share: ShareDirectory, partialThreshold: Int64, decompressor: ZstdDecompressor,
        dictionaries: CompressionDictionaries? = nil, signatureMinimum: Int64 = .max
    ) throws(FileSystemError) {
        self.header = header
        self.dictionaries = dictionaries
        digest = StreamDigest(size: header.size, signatureFor: header.size >= signatureMinimum ? header.size : nil)
        let (dir, name) = try share.parent(of: header.path)
        finalName = name
        let dirCopy = dup(dir)
        guard dirCopy >= 0 else { throw .errno("dup", header.path) }
        directory = dirCopy
        let partialName = ShareDirectory.partialPrefix + name
        var basis: Int32 = -1
        switch header.basis {
        case .none:
            partialToRemove = nil
            let keepPartial = header.size >= partialThreshold && partialName.utf8.count <= 255
            temporaryName = keepPartial ? partialName : ReplicaWriter.temporaryName()
        case .replica, .partial:
            let basisName = header.basis == .replica ? name : partialName
            basis = openat(dirCopy, basisName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard basis >= 0 else {
                close(dirCopy)
                throw .errno("open delta basis", header.path)
            }
            partialToRemove = header.basis == .partial ? partialName : nil
            temporaryName = ReplicaWriter.temporaryName()
        }
        basisDescriptor = basis
        let fd = openat(dirCopy, temporaryName, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if basis >= 0 { close(basis) }
            close(dirCopy)
            throw .errno("create temporary file for", header.path)
        }
        descriptor = fd
        decompressor.reset()
        self.decompressor = decompressor
        do {
            patch = basis >= 0 ? try PatchApplier(basisDescriptor: basis) : nil
        } catch {
            close(fd)
            unlinkat(dirCopy, temporaryName, 0)
            if basis >= 0 { close(basis) }
            close(dirCopy)
            throw FileSystemError(.systemCall, operation: "prepare decoder: \(error)", path: header.path)
        }
    }

    deinit {
        if !closed { discard() }
        close(directory)
    }

    /// Feeds one chunk from the wire: zstd-compressed, or the payload's bytes as they are (`compressed` false).
    /// The compressed chunks of a file form one zstd stream, which the stored ones do not interrupt.
    public func receive(_ chunk: UnsafeRawBufferPointer, compressed: Bool) throws(FileSystemError) {
        do {
            guard compressed else {
                try payload(chunk)
                return
            }
            if compressedBytesReceived == 0 {
                // The first compressed chunk holds the frame's header, which names the dictionary it was compressed
                // with.
                if let dictionaries {
                    try dictionaries.prepare(decompressor, forFrameBeginning: chunk)
                } else {
                    try decompressor.use(nil)
                }
            }
            compressedBytesReceived += Int64(chunk.count)
            try decompressor.decompress(chunk) { plain in try payload(plain) }
        } catch let error as FileSystemError {
            throw error
        } catch {
            throw FileSystemError(
                .contentMismatch, operation: "could not decode the payload: \(error)", path: header.path)
        }
    }

    /// The payload's plain bytes: the content, or a delta to apply to the basis.
    private func payload(_ plain: UnsafeRawBufferPointer) throws {
        if let patch {
            try patch.feed(plain, isLast: false) { output in try self.write(output) }
        } else {
            try write(plain)
        }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError) {
        guard bytes.count > 0 else { return }
        digest.update(bytes)
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                if FileSystemSpace.isOutOfSpace(errno) { ranOutOfSpace = true }
                throw .errno("write", header.path)
            }
            offset += written
        }
        bytesWritten += Int64(bytes.count)
    }

    /// Ends the payload, checks the content against the sender's hash and sets the attributes.
    /// The caller then queues the rename into place.
    package func finish(expectedHash: [UInt8], writer: ReplicaWriter) throws(FileSystemError) -> [UInt8] {
        if let patch {
            do {
                try patch.feed(UnsafeRawBufferPointer(start: nil, count: 0), isLast: true) { output in
                    try self.write(output)
                }
            } catch let error as FileSystemError {
                throw error
            } catch {
                throw FileSystemError(
                    .contentMismatch, operation: "could not apply the delta: \(error)", path: header.path)
            }
        }
        let (hash, signed) = self.digest.finish()
        signature = signed
        guard hash == expectedHash, bytesWritten == header.size else {
            throw FileSystemError(
                .contentMismatch,
                operation:
                    "content differs from the sender's (\(bytesWritten) of \(header.size) bytes, hash mismatch); discarded",
                path: header.path)
        }
        try writer.setAttributes(descriptor, header.attributes, path: header.path)
        close(descriptor)
        if basisDescriptor >= 0 { close(basisDescriptor) }
        closed = true
        return hash
    }

    /// Puts a finished file under its name when that name is free — never over an existing file (a conflict copy
    /// must not replace anything) — durably: the content is fsynced before the link, the directory after.
    package func commitNew() throws(FileSystemError) {
        let fd = openat(directory, temporaryName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw .errno("reopen the temporary file of", header.path) }
        let synced = fsync(fd)
        close(fd)
        guard synced == 0 else { throw .errno("fsync", header.path) }
        guard linkat(directory, temporaryName, directory, finalName, 0) == 0 else {
            let failure = errno
            unlinkat(directory, temporaryName, 0)
            errno = failure
            throw .errno("link into place (refused over an existing file)", header.path)
        }
        unlinkat(directory, temporaryName, 0)
        guard fsync(directory) == 0 else { throw .errno("fsync the directory of", header.path) }
    }

    /// Drops what was received (sender abandoned the file, or it failed). A partial copy is kept as a basis, unless
    /// the file system ran out of room for it: then the room goes back to the other replicas there.
    public func discard() {
        guard !closed else { return }
        closed = true
        close(descriptor)
        if basisDescriptor >= 0 { close(basisDescriptor) }
        if !temporaryName.hasPrefix(ShareDirectory.partialPrefix) || ranOutOfSpace {
            unlinkat(directory, temporaryName, 0)
        }
    }
}
