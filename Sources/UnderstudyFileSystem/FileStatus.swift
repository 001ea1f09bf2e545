#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore

/// The fields of `struct stat` that mirroring uses.
public struct FileStatus: Sendable, Equatable {
    public var kind: EntryKind?
    public var size: Int64
    public var attributes: FileAttributes
    public var inode: UInt64
    public var linkCount: UInt32
    public var ctimeSeconds: Int64
    public var ctimeNanoseconds: Int32

    init(_ st: stat) {
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = nil
        }
        size = Int64(st.st_size)
        attributes = FileAttributes(
            mode: UInt32(st.st_mode & 0o7777), uid: st.st_uid, gid: st.st_gid,
            mtimeSeconds: Int64(st.st_mtim.tv_sec), mtimeNanoseconds: UInt32(st.st_mtim.tv_nsec))
        inode = UInt64(st.st_ino)
        linkCount = UInt32(st.st_nlink)
        ctimeSeconds = Int64(st.st_ctim.tv_sec)
        ctimeNanoseconds = Int32(st.st_ctim.tv_nsec)
    }

    /// lstat relative to a directory descriptor.
    static func at(_ directory: Int32, _ name: String, path: String) throws(FileSystemError) -> FileStatus {
        var st = stat()
        guard fstatat(directory, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { throw .errno("stat", path) }
        return FileStatus(st)
    }

    package static func of(_ descriptor: Int32, path: String) throws(FileSystemError) -> FileStatus {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { throw .errno("stat", path) }
        return FileStatus(st)
    }

    /// The same file, unchanged since: used to see that a file was not modified while it was read.
    package func isSameVersion(as other: FileStatus) -> Bool {
        size == other.size && inode == other.inode && attributes.sameTime(as: other.attributes)
            && ctimeSeconds == other.ctimeSeconds && ctimeNanoseconds == other.ctimeNanoseconds
    }
}
