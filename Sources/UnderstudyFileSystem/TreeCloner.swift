#if canImport(Glibc)
import Glibc
#endif
import CLinux
import UnderstudyCore

/// Copies a tree into another directory of the same file system, as cheaply as the file system allows:
/// - `hardlink`: the copy shares each file's inode (no data written). Safe for archives of a replica because the
///   mirror never writes a replica file in place: it writes a new file and renames it over the old one.
/// - `reflink`: each file is a copy-on-write clone (its own inode, shared extents): btrfs, XFS, bcachefs...
/// - `copy`: the bytes are copied.
/// `preferred` picks the cheapest allowed: the first file tells whether reflinks work (tried once per run); a
/// hard link that fails for too many links (EMLINK) falls back to a copy. Directories are created with their
/// source's mode, owner and times (set after their contents); symlinks are recreated; other kinds are skipped.
/// Our own reserved names (`.understudy.*`: temporaries, partial copies) are never copied.
package struct TreeCloner {
    package enum Method: String, Sendable { case hardlink, reflink, copy }

    /// Hard links allowed (archives of a mirror-written replica); false: every file gets its own inode.
    let allowHardLinks: Bool
    let applyOwnership: Bool
    private var reflinkWorks: Bool?
    package private(set) var files: Int64 = 0
    package private(set) var bytes: Int64 = 0
    package private(set) var skipped: [String] = []
    private(set) var methodsUsed: Set<Method> = []

    package init(allowHardLinks: Bool, applyOwnership: Bool) {
        self.allowHardLinks = allowHardLinks
        self.applyOwnership = applyOwnership
    }

    package var method: Method {
        if methodsUsed.contains(.reflink) { return .reflink }
        if methodsUsed.contains(.hardlink) { return .hardlink }
        if methodsUsed.contains(.copy) { return .copy }
        return allowHardLinks ? .hardlink : (reflinkWorks == true ? .reflink : .copy)
    }

    /// Copies every entry of `source` into `destination` (both open directories); `path` names `source` in messages.
    package mutating func cloneContents(of source: Int32, into destination: Int32, path: String) throws {
        guard let entries = DirectoryEntry.read(source) else { throw FileSystemError.errno("read directory", path) }
        for entry in entries where !entry.hasReservedPrefix {
            try cloneEntry(entry, from: source, into: destination, path: RelativePath.join(path, entry.displayName))
        }
    }

    /// Copies one entry (a file, a symlink, or a directory with everything below it).
    package mutating func cloneEntry(
        _ entry: DirectoryEntry, from source: Int32, into destination: Int32, path: String
    ) throws {
        switch entry.resolvedKind(in: source) {
        case .file:
            try cloneFile(entry.name, from: source, into: destination, path: path)
        case .directory:
            let child = openat(source, entry.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard child >= 0 else { throw FileSystemError.errno("open directory", path) }
            defer { close(child) }
            var info = stat()
            guard fstat(child, &info) == 0 else { throw FileSystemError.errno("stat", path) }
            if mkdirat(destination, entry.name, 0o700) != 0 && errno != EEXIST {
                throw FileSystemError.errno("create directory", path)
            }
            let copy = openat(destination, entry.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard copy >= 0 else { throw FileSystemError.errno("open new directory", path) }
            defer { close(copy) }
            try cloneContents(of: child, into: copy, path: path)
            try Self.copyAttributes(info, to: copy, ownership: applyOwnership, path: path)
        case .symlink:
            var buffer = [CChar](repeating: 0, count: 4097)
            let count = readlinkat(source, entry.name, &buffer, 4096)
            guard count >= 0 else { throw FileSystemError.errno("read symlink", path) }
            buffer[count] = 0
            guard symlinkat(buffer, destination, entry.name) == 0 || errno == EEXIST else {
                throw FileSystemError.errno("create symlink", path)
            }
            var info = stat()
            if fstatat(source, entry.name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
                if applyOwnership { fchownat(destination, entry.name, info.st_uid, info.st_gid, AT_SYMLINK_NOFOLLOW) }
                var times = [info.st_atim, info.st_mtim]
                utimensat(destination, entry.name, &times, AT_SYMLINK_NOFOLLOW)
            }
        case .other, .unknown:
            skipped.append(path)
        }
    }

    mutating func cloneFile(_ name: [CChar], from source: Int32, into destination: Int32, path: String) throws {
        var info = stat()
        guard fstatat(source, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return }  // gone since the directory was read (history and restores only)
            throw FileSystemError.errno("stat", path)
        }
        if allowHardLinks && reflinkWorks != true {
            if linkat(source, name, destination, name, 0) == 0 {
                methodsUsed.insert(.hardlink)
                count(info)
                return
            }
            guard errno == EMLINK || errno == EXDEV else { throw FileSystemError.errno("hard-link", path) }
        }
        try copyFile(name, from: source, into: destination, status: info, path: path)
        count(info)
    }

    private mutating func count(_ info: stat) {
        files += 1
        bytes += Int64(info.st_size)
    }

    /// A copy of its own: a reflink where the file system has them, else the bytes.
    private mutating func copyFile(
        _ name: [CChar], from source: Int32, into destination: Int32, status: stat, path: String
    ) throws {
        let input = openat(source, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard input >= 0 else { throw FileSystemError.errno("open", path) }
        defer { close(input) }
        let output = openat(destination, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw FileSystemError.errno("create", path) }
        defer { close(output) }
        if reflinkWorks != false {
            let result = understudy_reflink(output, input)
            if result == 0 {
                reflinkWorks = true
                methodsUsed.insert(.reflink)
                try Self.copyAttributes(status, to: output, ownership: applyOwnership, path: path)
                return
            }
            if reflinkWorks == nil { reflinkWorks = false }
        }
        try Self.copyBytes(from: input, to: output, path: path)
        methodsUsed.insert(.copy)
        try Self.copyAttributes(status, to: output, ownership: applyOwnership, path: path)
    }

    /// `output` gets `input`'s content: a reflink where the file system has them, else the bytes.
    package static func copyContent(from input: Int32, to output: Int32, path: String) throws {
        if understudy_reflink(output, input) == 0 { return }
        try copyBytes(from: input, to: output, path: path)
    }

    static func copyBytes(from input: Int32, to output: Int32, path: String) throws {
        // copy_file_range lets the kernel copy (and on NFS or some file systems, clone) without a round trip.
        while true {
            let copied = understudy_copy_file_range(input, output, 1 << 30)
            if copied > 0 { continue }
            if copied == 0 { return }
            if errno == EINTR { continue }
            if errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP { break }
            throw FileSystemError.errno("copy", path)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(input, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.errno("read", path)
            }
            if count == 0 { return }
            var offset = 0
            while offset < count {
                let written = write(output, buffer.baseAddress! + offset, count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw FileSystemError.errno("write", path)
                }
                offset += written
            }
        }
    }

    package static func copyAttributes(_ info: stat, to descriptor: Int32, ownership: Bool, path: String) throws {
        if ownership { fchown(descriptor, info.st_uid, info.st_gid) }
        guard fchmod(descriptor, info.st_mode & 0o7777) == 0 else {
            throw FileSystemError.errno("change mode of", path)
        }
        var times = [info.st_atim, info.st_mtim]
        guard futimens(descriptor, &times) == 0 else { throw FileSystemError.errno("set times of", path) }
    }
}
