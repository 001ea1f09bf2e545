#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Crypto
import UnderstudyFileSystem
import UnderstudyWire

/// Reads an agentless primary's files through the mount of its share (`AgentlessShareSync`): each file with its
/// SHA-256, and only as one version: a file whose size or time changed while it was read is refused.
package final class SourceReader {
    struct Opened {
        var fd: Int32
        var before: FileStatus
    }

    private let share: ShareDirectory
    /// One buffer for every read: a network file system answers best to large reads.
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)

    package init(share: ShareDirectory) throws {
        self.share = share
    }

    /// Opens a regular file of the share (no symbolic link followed); the caller closes `fd`.
    func open(_ path: String) throws -> Opened {
        let fd = try share.openFileForReading(path)
        do {
            // The server's attributes first (a network file system's cache refreshed), so `before` is this version's.
            var fresh = understudy_version()
            _ = understudy_statx_now(fd, &fresh)
            let before = try FileStatus.of(fd, path: path)
            guard before.kind == .file else {
                throw FileSystemError(
                    .systemCall, operation: "reading (no longer a regular file)", path: path, errno: EISDIR)
            }
            return Opened(fd: fd, before: before)
        } catch {
            close(fd)
            throw error
        }
    }

    /// Reads the whole file, handing each chunk to `body`; the SHA-256 and the bytes read.
    func stream(
        _ opened: Opened, path: String, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> (
        hash: [UInt8], bytes: Int64
    ) {
        var hasher = SHA256()
        var total: Int64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(opened.fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(.systemCall, operation: "reading", path: path, errno: errno)
            }
            if count == 0 { break }
            try buffer.withUnsafeBytes { bytes in
                let chunk = UnsafeRawBufferPointer(rebasing: bytes[..<count])
                hasher.update(bufferPointer: chunk)
                try body(chunk)
            }
            total += Int64(count)
        }
        let after = try FileStatus.of(opened.fd, path: path)
        guard total == opened.before.size, after.isSameVersion(as: opened.before), Self.unchangedNow(opened) else {
            throw FileSystemError(
                .systemCall, operation: "reading (it changed while it was read)", path: path, errno: EAGAIN)
        }
        return (Array(hasher.finalize()), total)
    }

    /// The file still is the version opened by the server's own account: `fstat` on a network file system may answer
    /// from a cache that has not seen a writer elsewhere; `statx` with AT_STATX_FORCE_SYNC asks. A file system
    /// that cannot answer so (ENOSYS, EINVAL) is taken at `fstat`'s word.
    private static func unchangedNow(_ opened: Opened) -> Bool {
        var now = understudy_version()
        guard understudy_statx_now(opened.fd, &now) == 0 else { return errno == ENOSYS || errno == EINVAL }
        let before = opened.before
        return now.size == before.size && now.inode == before.inode
            && now.mtime_seconds == before.attributes.mtimeSeconds
            && now.mtime_nanoseconds == before.attributes.mtimeNanoseconds
            && now.ctime_seconds == before.ctimeSeconds && Int32(now.ctime_nanoseconds) == before.ctimeNanoseconds
    }

    /// The SHA-256 of a source file (a rename's, a verification's); nil if it cannot be read or changes meanwhile.
    package func hash(path: String) -> [UInt8]? {
        guard let opened = try? open(path) else { return nil }
        defer { close(opened.fd) }
        return try? stream(opened, path: path) { _ in }.hash
    }

    /// Copies the file at `path` into `writer`'s tree as `destination` (a temporary there, checked, renamed in its
    /// batch); the bytes read.
    package func copy(_ path: String, to destination: String, into writer: ReplicaWriter) throws -> Int64 {
        let opened = try open(path)
        defer { close(opened.fd) }
        let file = try writer.beginFile(
            FileHeader(path: destination, size: opened.before.size, attributes: opened.before.attributes, basis: .none))
        do {
            let (hash, read) = try stream(opened, path: path) { chunk in try file.receive(chunk, compressed: false) }
            try writer.commit(file, expectedHash: hash)
            return read
        } catch {
            file.discard()
            throw error
        }
    }
}
