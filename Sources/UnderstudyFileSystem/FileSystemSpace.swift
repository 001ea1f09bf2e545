#if canImport(Glibc)
import Glibc
#endif

/// The room on the file system that holds a path (`statvfs`): its size, and what an unprivileged writer may still
/// use (the blocks reserved for root are left out, so a full disk is seen before the daemon eats the reserve).
public struct FileSystemSpace: Sendable, Equatable {
    public var totalBytes: Int64
    public var availableBytes: Int64
    /// The file system's id: replicas with the same id share their room.
    public var fileSystemID: UInt64

    public init(totalBytes: Int64, availableBytes: Int64, fileSystemID: UInt64) {
        self.totalBytes = totalBytes
        self.availableBytes = availableBytes
        self.fileSystemID = fileSystemID
    }

    /// The room where `path` is, or would be: a path that does not exist yet (a replica before its first sync) is
    /// measured at its nearest existing ancestor.
    public static func of(_ path: String) throws(FileSystemError) -> FileSystemSpace {
        var candidate = path.isEmpty ? "/" : path
        var info = statvfs()
        while statvfs(candidate, &info) != 0 {
            guard errno == ENOENT || errno == ENOTDIR, candidate != "/" else {
                throw FileSystemError(
                    .systemCall, operation: "measuring the free space of", path: path, errno: errno)
            }
            let parent = candidate.split(separator: "/", omittingEmptySubsequences: true).dropLast()
            candidate = "/" + parent.joined(separator: "/")
        }
        let block = Int64(info.f_frsize)
        return FileSystemSpace(
            totalBytes: Int64(info.f_blocks) * block, availableBytes: Int64(info.f_bavail) * block,
            fileSystemID: UInt64(info.f_fsid))
    }

    /// An errno that says the file system (or the user's quota on it) has no room left.
    public static func isOutOfSpace(_ errnoValue: Int32) -> Bool {
        errnoValue == ENOSPC || errnoValue == EDQUOT
    }
}
