#if canImport(Glibc)
import Glibc
#endif
import Crypto
import UnderstudyCore
import UnderstudyDelta
import UnderstudyWire

extension ReplicaWriter {
    /// SHA-256 of a replica file, read through the share (no symlink followed).
    public func contentHash(of path: String) throws -> [UInt8] {
        var hasher = SHA256()
        try readFile(path, name: { $0 }, purpose: "hashing") { chunk, _ in hasher.update(bufferPointer: chunk) }
        return Array(hasher.finalize())
    }

    /// Streams the block signature of the replica's file (or its partial copy) for the primary's delta.
    public func signature(of path: String, basis: DeltaBasis, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var generator: SignatureGenerator?
        try readFile(
            path, name: { basis == .partial ? ShareDirectory.partialPrefix + $0 : $0 }, purpose: "signature",
            opened: { status in generator = try SignatureGenerator(basisSize: status.size) }
        ) { chunk, isLast in
            try generator!.feed(chunk, isLast: isLast, output: emit)
        }
    }

    /// Reads a regular file of the replica in 256 KiB chunks; the last call has an empty chunk and `isLast`.
    private func readFile(
        _ path: String, name: (String) -> String, purpose: String,
        opened: (FileStatus) throws -> Void = { _ in },
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
        try opened(status)
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
