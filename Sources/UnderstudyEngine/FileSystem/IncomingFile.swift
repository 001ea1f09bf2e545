#if canImport(Glibc)
import Glibc
#endif
import Crypto
import UnderstudyCore
import UnderstudyWire

/// One file arriving from the primary: zstd-compressed payload → (librsync patch against a basis) → a hidden
/// sibling of its final name, hashed as written so the result is checked against the sender's hash.
public final class IncomingFile {
    public let header: FileHeader
    let temporaryName: String
    let descriptor: Int32
    let partialToRemove: String?
    private let decompressor: ZstdDecompressor
    private let patch: PatchApplier?
    private let basisDescriptor: Int32
    private var hasher = SHA256()
    public private(set) var bytesWritten: Int64 = 0
    public private(set) var compressedBytesReceived: Int64 = 0
    private var closed = false
    private let directory: Int32

    init(header: FileHeader, share: ShareDirectory, partialThreshold: Int64, decompressor: ZstdDecompressor) throws(FileSystemError) {
        self.header = header
        let (dir, name) = try share.parent(of: header.path)
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

    /// Feeds one compressed chunk from the wire.
    public func receive(_ chunk: UnsafeRawBufferPointer) throws(FileSystemError) {
        compressedBytesReceived += Int64(chunk.count)
        do {
            try decompressor.decompress(chunk) { plain in
                if let patch {
                    try patch.feed(plain, isLast: false) { output in try self.write(output) }
                } else {
                    try self.write(plain)
                }
            }
        } catch let error as FileSystemError {
            throw error
        } catch {
            throw FileSystemError(.contentMismatch, operation: "could not decode the payload: \(error)", path: header.path)
        }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError) {
        guard bytes.count > 0 else { return }
        hasher.update(bufferPointer: bytes)
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw .errno("write", header.path)
            }
            offset += written
        }
        bytesWritten += Int64(bytes.count)
    }

    /// Ends the payload, checks the content against the sender's hash and sets the attributes.
    /// The caller then queues the rename into place.
    func finish(expectedHash: [UInt8], writer: ReplicaWriter) throws(FileSystemError) -> [UInt8] {
        if let patch {
            do {
                try patch.feed(UnsafeRawBufferPointer(start: nil, count: 0), isLast: true) { output in try self.write(output) }
            } catch let error as FileSystemError {
                throw error
            } catch {
                throw FileSystemError(.contentMismatch, operation: "could not apply the delta: \(error)", path: header.path)
            }
        }
        let digest = Array(hasher.finalize())
        guard digest == expectedHash, bytesWritten == header.size else {
            throw FileSystemError(.contentMismatch,
                                  operation: "content differs from the sender's (\(bytesWritten) of \(header.size) bytes, hash mismatch); discarded",
                                  path: header.path)
        }
        try writer.setAttributes(descriptor, header.attributes, path: header.path)
        close(descriptor)
        if basisDescriptor >= 0 { close(basisDescriptor) }
        closed = true
        return digest
    }

    /// Drops what was received (sender abandoned the file, or it failed). A partial copy is kept as a basis.
    public func discard() {
        guard !closed else { return }
        closed = true
        close(descriptor)
        if basisDescriptor >= 0 { close(basisDescriptor) }
        if !temporaryName.hasPrefix(ShareDirectory.partialPrefix) {
            unlinkat(directory, temporaryName, 0)
        }
    }
}

extension ReplicaWriter {
    public func beginFile(_ header: FileHeader) throws(FileSystemError) -> IncomingFile {
        try IncomingFile(header: header, share: share, partialThreshold: options.partialThreshold, decompressor: decompressor)
    }

    /// Verifies and queues a received file; flushes when the batch is full.
    public func commit(_ file: IncomingFile, expectedHash: [UInt8]) throws(FileSystemError) {
        let hash: [UInt8]
        do {
            hash = try file.finish(expectedHash: expectedHash, writer: self)
        } catch {
            file.discard()
            throw error
        }
        pending.append(PendingCommit(path: file.header.path, temporaryName: file.temporaryName, contentHash: hash,
                                     size: file.header.size, partialToRemove: file.partialToRemove))
        pendingBytes += file.header.size
        bytesWritten += file.bytesWritten
        if pending.count >= options.batchFiles || pendingBytes >= options.batchBytes {
            try flush()
        }
    }

    /// SHA-256 of a replica file, read through the share (no symlink followed).
    public func contentHash(of path: String) throws -> [UInt8] {
        let (dir, name) = try share.parent(of: path)
        let fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError.errno("open for hashing", path) }
        defer { close(fd) }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.errno("read for hashing", path)
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        return Array(hasher.finalize())
    }

    /// Streams a librsync signature of the replica's file (or its partial copy) for the primary's delta.
    public func signature(of path: String, basis: DeltaBasis, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let (dir, name) = try share.parent(of: path)
        let fileName = basis == .partial ? ShareDirectory.partialPrefix + name : name
        let fd = openat(dir, fileName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError.errno("open for signature", path) }
        defer { close(fd) }
        let status = try FileStatus.of(fd, path: path)
        guard status.kind == .file else {
            throw FileSystemError(.pathRefused, operation: "delta basis is not a regular file", path: path)
        }
        let generator = try SignatureGenerator(basisSize: status.size)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.errno("read for signature", path)
            }
            try generator.feed(UnsafeRawBufferPointer(rebasing: buffer[..<count]), isLast: count == 0, output: emit)
            if count == 0 { break }
        }
    }
}
