#if canImport(Glibc)
import Glibc
#endif
import Crypto
import UnderstudyCore
import UnderstudyState
import UnderstudyDelta
import UnderstudyWire

extension ReplicaWriter {
    /// SHA-256 of a replica file, read through the share (no symlink followed).
    /// - Parameter index: a record there that still describes the file (its stat when opened) gives its hash without
    ///   a read.
    public func contentHash(of path: String, vouchedBy index: (any FileIndexLookup)? = nil) throws -> [UInt8] {
        var known: [UInt8]?
        var hasher = SHA256()
        try readFile(
            path, name: { $0 }, purpose: "hashing",
            opened: { status in
                known = index?.record(at: path)?.contentHash(ifItDescribes: status)
                return known == nil
            }
        ) { chunk, _ in hasher.update(bufferPointer: chunk) }
        return known ?? Array(hasher.finalize())
    }

    /// Streams the block signature of the replica's file (or its partial copy) for the primary's delta.
    /// - Parameter cached: a signature kept for the file as it is now (its stat when opened), if there is one: then
    ///   the file is not read.
    /// - Returns: true when the signature came from `cached`.
    @discardableResult
    public func signature(
        of path: String, basis: DeltaBasis, cached: (FileIndexRecord) -> [UInt8]? = { _ in nil },
        emit: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Bool {
        var generator: SignatureGenerator?
        var kept: [UInt8]?
        try readFile(
            path, name: { basis == .partial ? ShareDirectory.partialPrefix + $0 : $0 }, purpose: "signature",
            opened: { status in
                kept = cached(ReplicaWriter.record(path, status, hash: nil))
                if kept == nil { generator = try SignatureGenerator(basisSize: status.size) }
                return kept == nil
            }
        ) { chunk, isLast in
            try generator!.feed(chunk, isLast: isLast, output: emit)
        }
        if let kept { try kept.withUnsafeBytes(emit) }
        return kept != nil
    }

    /// Reads a regular file of the replica in 256 KiB chunks; the last call has an empty chunk and `isLast`.
    private func readFile(
        _ path: String, name: (String) -> String, purpose: String,
        opened: (FileStatus) throws -> Bool = { _ in true },
        body: (UnsafeRawBufferPointer, _ isLast: Bool) throws -> Void
    ) throws {
        let (dir, finalName) = try share.parent(of: path)
        let fd = openat(dir, name(finalName), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError.errno("open for \(purpose)", path) }
        defer { close(fd) }
        let status = try FileStatus.of(fd, path: path)
        guard status.kind == .file else {
            throw FileSystemError(.pathRefused, operation: "is not a regular file (\(purpose) refused)", path: path)
        }
        guard try opened(status) else { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.errno("read for \(purpose)", path)
            }
            try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]), count == 0)
            if count == 0 { break }
        }
    }
}
