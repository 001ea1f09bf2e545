#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Writes a system file (a service's configuration) in place the way a careful editor does: into a temporary of a
/// random name beside it, created exclusively and never through a symbolic link (a user who may write the
/// directory cannot point it elsewhere), given its owner and mode before any byte is in it, made durable, then
/// renamed over the file, and the directory made durable. A reader sees the old file or the new one, whole.
public enum SystemFileWriter {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// The owner and mode the new file gets: those of the file it replaces, else `defaultMode` and root.
    public static func write(_ content: [UInt8], to path: String, defaultMode: mode_t = 0o600) throws(Failure) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var mode = defaultMode
        var owner: (uid_t, gid_t) = (0, 0)
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFREG || (info.st_mode & S_IFMT) == S_IFLNK else {
                throw Failure(description: "\(path) is not a regular file")
            }
            if stat(path, &info) == 0 {
                mode = info.st_mode & 0o7777
                owner = (info.st_uid, info.st_gid)
            }
        }
        let temporary = directory + "/.\(name).understudy.\(UInt64.random(in: 0...UInt64.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot create \(temporary): \(errnoText(errno))") }
        var closed = false
        func fail(_ what: String) -> Failure {
            let failure = Failure(description: "\(what) \(temporary): \(errnoText(errno))")
            if !closed { close(descriptor) }
            closed = true
            unlink(temporary)
            return failure
        }
        guard fchown(descriptor, owner.0, owner.1) == 0 else { throw fail("cannot give the owner to") }
        guard fchmod(descriptor, mode) == 0 else { throw fail("cannot give the mode to") }
        var written = 0
        while written < content.count {
            let count = content[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { throw fail("cannot write") }
            written += count
        }
        guard fsync(descriptor) == 0 else { throw fail("cannot make durable") }
        close(descriptor)
        closed = true
        guard rename(temporary, path) == 0 else { throw fail("cannot rename to \(path)") }
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Reads a regular file of at most `limit` bytes without following a FIFO or device into a block: opened
    /// non-blocking, checked to be a regular file on its descriptor. nil when it is not one (or is gone); a
    /// failure when larger or unreadable.
    public static func read(_ path: String, limit: Int) throws(Failure) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw Failure(description: "cannot open \(path): \(errnoText(errno))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw Failure(description: "cannot stat \(path): \(errnoText(errno))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        var content = [UInt8](repeating: 0, count: limit + 1)
        var filled = 0
        while filled < content.count {
            let count = content[filled...].withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw Failure(description: "cannot read \(path): \(errnoText(errno))") }
            if count == 0 { break }
            filled += count
        }
        guard filled <= limit else { throw Failure(description: "\(path) is larger than \(limit) bytes") }
        return Array(content[..<filled])
    }
}
