#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore

/// An open share root. Every path is resolved one component at a time with O_NOFOLLOW, so no operation can
/// leave the root through a symlink or `..` (DESIGN rule 2), whatever a peer sends.
public final class ShareDirectory {
    public static let reservedPrefix = ".understudy."
    public static let temporaryPrefix = ".understudy.tmp."
    public static let partialPrefix = ".understudy.part."

    public let rootPath: String
    public let rootDescriptor: Int32
    private var cachedParentPath: String?
    private var cachedParentDescriptor: Int32 = -1

    /// Opens (and with `create`, first creates with parents, mode 0700) the root directory.
    public init(path: String, create: Bool) throws(FileSystemError) {
        rootPath = path
        if create { try ShareDirectory.makeDirectories(path) }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .errno("open share root", path) }
        rootDescriptor = fd
    }

    private init(path: String, descriptor: Int32) {
        rootPath = path
        rootDescriptor = descriptor
    }

    /// A second handle on the same root directory (not reopened by path) for another thread: a handle caches one
    /// parent directory and is used by one thread at a time.
    public func another() throws(FileSystemError) -> ShareDirectory {
        let fd = openat(rootDescriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .errno("open share root", rootPath) }
        return ShareDirectory(path: rootPath, descriptor: fd)
    }

    deinit {
        if cachedParentDescriptor >= 0 { close(cachedParentDescriptor) }
        close(rootDescriptor)
    }

    package static func makeDirectories(_ path: String) throws(FileSystemError) {
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o700) != 0 && errno != EEXIST { throw .errno("create directory", current) }
        }
    }

    /// A descriptor of the directory at `path` ("" is the root), opened without following symlinks.
    /// The caller closes it.
    public func openDirectory(_ path: String) throws(FileSystemError) -> Int32 {
        // Not a dup: that would share the directory's read position with every other user of the root.
        var fd = openat(rootDescriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .errno("open share root", path) }
        for component in RelativePath.components(path) {
            let next = openat(fd, String(component), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let failure = errno
            close(fd)
            guard next >= 0 else {
                if failure == ELOOP || failure == ENOTDIR {
                    throw FileSystemError(
                        .pathRefused, operation: "traverses a symlink or a non-directory inside the share; refused",
                        path: path, errno: failure)
                }
                throw FileSystemError(.systemCall, operation: "open directory", path: path, errno: failure)
            }
            fd = next
        }
        return fd
    }

    /// The parent directory's descriptor (owned by this object: do not close) and the final name of `path`.
    /// One parent stays cached, since consecutive paths usually share it.
    public func parent(of path: String) throws(FileSystemError) -> (descriptor: Int32, name: String) {
        guard let parentPath = RelativePath.parent(path) else {
            throw FileSystemError(.pathRefused, operation: "is the share root; refused", path: path)
        }
        if cachedParentPath != parentPath {
            let fd = try openDirectory(parentPath)
            if cachedParentDescriptor >= 0 { close(cachedParentDescriptor) }
            cachedParentDescriptor = fd
            cachedParentPath = parentPath
        }
        return (cachedParentDescriptor, String(RelativePath.name(path)))
    }

    /// Forgets the cached parent (after the directory it names was removed or replaced).
    public func invalidateCache() {
        if cachedParentDescriptor >= 0 { close(cachedParentDescriptor) }
        cachedParentDescriptor = -1
        cachedParentPath = nil
    }

    /// Opens a regular file for reading without following a symlink.
    public func openFileForReading(_ path: String) throws(FileSystemError) -> Int32 {
        let (dir, name) = try parent(of: path)
        let fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ELOOP {
                throw FileSystemError(
                    .pathRefused, operation: "is a symlink, not a file; refused", path: path, errno: ELOOP)
            }
            throw .errno("open", path)
        }
        return fd
    }

    public func status(_ path: String) throws(FileSystemError) -> FileStatus {
        if path.isEmpty { return try FileStatus.of(rootDescriptor, path: path) }
        let (dir, name) = try parent(of: path)
        return try FileStatus.at(dir, name, path: path)
    }
}
