#if canImport(Glibc)
import Glibc
#endif
import CLinux
import UnderstudyCore
import UnderstudyFileSystem

/// The directory where one share's archives and history live (`archive_dir`, beside the replica):
/// ```
/// archives/<id>/...      finished archives (the share's tree, or the configured subtrees)
/// archives/.making-<id>  an archive being made; renamed to <id> when complete
/// history/<xx>/<name>    kept prior versions of replica files (256 shards)
/// trash/<id>             archives being pruned, deleted a little at a time
/// restored/<time>/       where `understudy restore` puts files unless told otherwise
/// ```
/// It must be on the replica's file system: hard links cannot cross file systems.
final class ArchiveStore: @unchecked Sendable {
    static let makingPrefix = ".making-"

    let path: String
    let root: Int32
    let archives: Int32
    let history: Int32
    let trash: Int32
    /// True when the file system makes copy-on-write clones (probed once).
    let reflinks: Bool

    init(path: String, replica: String) throws {
        self.path = path
        try ShareDirectory.makeDirectories(path)
        let root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        self.root = root
        guard root >= 0 else { throw FileSystemError.errno("open archive directory", path) }
        var rootInfo = stat()
        var replicaInfo = stat()
        if fstat(root, &rootInfo) == 0, stat(replica, &replicaInfo) == 0, rootInfo.st_dev != replicaInfo.st_dev {
            close(root)
            throw ArchiveError(
                .notReady,
                "archive directory \(path) is on another file system than the replica \(replica): hard links and reflinks cannot cross file systems, so every archive would be a full copy. Set archive_dir to a directory on the replica's file system (the default is beside the replica)"
            )
        }
        func subdirectory(_ name: String) throws -> Int32 {
            if mkdirat(root, name, 0o700) != 0 && errno != EEXIST {
                throw FileSystemError.errno("create directory", path + "/" + name)
            }
            let fd = openat(root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw FileSystemError.errno("open directory", path + "/" + name) }
            return fd
        }
        archives = try subdirectory("archives")
        history = try subdirectory("history")
        trash = try subdirectory("trash")
        for shard in 0..<256 {
            let name = Self.hex(UInt64(shard), digits: 2)
            if mkdirat(history, name, 0o700) != 0 && errno != EEXIST {
                throw FileSystemError.errno("create directory", path + "/history/" + name)
            }
        }
        reflinks = Self.probeReflinks(root)
    }

    deinit {
        for fd in [archives, history, trash, root] { close(fd) }
    }

    /// Tries one FICLONE between two scratch files.
    private static func probeReflinks(_ directory: Int32) -> Bool {
        let source = ".understudy.probe-source", target = ".understudy.probe-target"
        let input = openat(directory, source, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard input >= 0 else { return false }
        defer {
            close(input)
            unlinkat(directory, source, 0)
            unlinkat(directory, target, 0)
        }
        _ = "probe".withCString { write(input, $0, 5) }
        let output = openat(directory, target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard output >= 0 else { return false }
        defer { close(output) }
        return understudy_reflink(output, input) == 0
    }

    /// A new name for a kept version: "ab/0123456789abcdef", relative to `history` (the *at calls take it as is).
    static func newStoredName() -> String {
        var random = SystemRandomNumberGenerator()
        let value = random.next() as UInt64
        return hex(value >> 56, digits: 2) + "/" + hex(value, digits: 16)
    }

    static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// Sums the blocks of the files under `directory` that no other name links (what removing it would free).
    static func exclusiveBytes(of directory: Int32) -> Int64 {
        guard let entries = DirectoryEntry.read(directory) else { return 0 }
        var total: Int64 = 0
        for entry in entries {
            var info = stat()
            guard fstatat(directory, entry.name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                let child = openat(directory, entry.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else { continue }
                total += Int64(info.st_blocks) * 512 + exclusiveBytes(of: child)
                close(child)
            case S_IFREG:
                if info.st_nlink == 1 { total += Int64(info.st_blocks) * 512 }
            default:
                total += Int64(info.st_blocks) * 512
            }
        }
        return total
    }
}

/// Why an archive, history or restore request did not happen; nothing changed when it is thrown.
public typealias ArchiveError = CodedFailure<ArchiveErrorCode>

public enum ArchiveErrorCode: String, Sendable, CaseIterable {
    /// The request contradicts itself or is incomplete (two sources, no source, a relative `--to`).
    case badRequest = "bad-request"
    /// No such group or share on this node, or one that is archived elsewhere.
    case unknownShare = "unknown-share"
    /// No archive of that id.
    case unknownArchive = "unknown-archive"
    /// No archive schedule of that name for the share.
    case unknownSchedule = "unknown-schedule"
    /// No kept version or archive holds the path at that time.
    case notFound = "not-found"
    /// The archive is being made or pruned, or never completed.
    case archiveBusy = "archive-busy"
    /// The request would write where it must not (into a replica, in place on a following node).
    case refused
    /// The replica is not ready to be archived (no sync since the start), or the archive directory is unusable.
    case notReady = "not-ready"
    /// Taking the archive failed (the cause says why).
    case failed
}
