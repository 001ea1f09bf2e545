#if canImport(Glibc)
import Glibc
#endif

/// The entries of an open directory, names as raw bytes (a name that is not UTF-8 is still a name to archive),
/// with the kind from `d_type` when the file system gives it.
package struct DirectoryEntry {
    package enum Kind { case file, directory, symlink, other, unknown }
    /// NUL-terminated.
    package var name: [CChar]
    var kind: Kind

    package var displayName: String { String(decoding: name.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    private static let reservedPrefix = Array(ShareDirectory.reservedPrefix.utf8CString.dropLast())

    /// One of our own names (`.understudy.*`: temporaries, partial copies), never archived or kept.
    package var hasReservedPrefix: Bool {
        name.count > Self.reservedPrefix.count && name.starts(with: Self.reservedPrefix)
    }

    /// Reads every entry but "." and ".." of `descriptor` (which stays open; a duplicate is read).
    package static func read(_ descriptor: Int32) -> [DirectoryEntry]? {
        let copy = openat(descriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard copy >= 0, let stream = fdopendir(copy) else {
            return nil
        }
        defer { closedir(stream) }
        var entries: [DirectoryEntry] = []
        while true {
            // NULL with errno set is a failed read (a network file system's), not the end of the directory.
            errno = 0
            guard let dirent = readdir(stream) else {
                if errno != 0 { return nil }
                break
            }
            let raw = withUnsafeBytes(of: dirent.pointee.d_name) { Array($0.prefix(while: { $0 != 0 })) }
            if raw == [46] || raw == [46, 46] { continue }
            let kind: Kind =
                switch Int32(dirent.pointee.d_type) {
                case Int32(DT_REG): .file
                case Int32(DT_DIR): .directory
                case Int32(DT_LNK): .symlink
                case Int32(DT_UNKNOWN): .unknown
                default: .other
                }
            entries.append(DirectoryEntry(name: raw.map { CChar(bitPattern: $0) } + [0], kind: kind))
        }
        return entries
    }

    /// The kind, asking `fstatat` when `d_type` did not say.
    package func resolvedKind(in directory: Int32) -> Kind {
        guard kind == .unknown else { return kind }
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return .other }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    package init(name: [CChar], kind: Kind) {
        self.name = name
        self.kind = kind
    }
}
