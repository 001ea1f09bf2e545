#if canImport(Glibc)
import Glibc
#endif

/// The mount a path lies on, from `/proc/self/mountinfo`: an agentless primary's share must be on a mount of its
/// own (the primary's NFS export, SMB share or sshfs), never on the standby's root file system — where an unmounted
/// mount point is an empty directory, and a scan of it would empty the replica.
public struct MountPoint: Sendable, Equatable {
    /// Where it is mounted.
    public var path: String
    /// The file system type: `nfs4`, `cifs`, `fuse.sshfs`...
    public var type: String
    /// What is mounted: `server:/export`, `//server/share`, `user@host:/dir`.
    public var source: String

    /// File system types of mounts a primary's share can be reached by: NFS, SMB, FUSE (sshfs, rclone...), 9p,
    /// Ceph, GlusterFS, virtiofs, AFS.
    public static let networkFileSystems: Set<String> = [
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs", "virtiofs", "afs", "fuse",
    ]

    /// A mount of another machine's files (or a FUSE file system, as sshfs is).
    public var isNetworkFileSystem: Bool {
        Self.networkFileSystems.contains(type) || type.hasPrefix("fuse.")
    }

    public init(path: String, type: String, source: String) {
        self.path = path
        self.type = type
        self.source = source
    }

    /// The mount that holds `path` (symbolic links resolved), or nil when it cannot be told.
    public static func containing(_ path: String, mountInfo: String? = nil) -> MountPoint? {
        // Resolved first: the walk of the path mounts an automount (autofs) that had expired, which the table then shows.
        guard let resolved = realPath(path), let text = mountInfo ?? readMountInfo() else { return nil }
        return containing(resolved: resolved, in: parse(text))
    }

    /// The innermost mount of `mounts` (later lines mount over earlier ones) at or above `resolved`.
    static func containing(resolved: String, in mounts: [MountPoint]) -> MountPoint? {
        var best: MountPoint?
        for mount in mounts where isAtOrBelow(resolved, mount.path) {
            if best == nil || mount.path.utf8.count >= best!.path.utf8.count { best = mount }
        }
        return best
    }

    /// The lines of a `mountinfo` file: `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - TYPE SOURCE SUPER`.
    public static func parse(_ text: String) -> [MountPoint] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard fields.count >= 10, let dash = fields.firstIndex(of: "-"), dash >= 6, dash + 2 < fields.count else {
                return nil
            }
            return MountPoint(
                path: unescape(fields[4]), type: unescape(fields[dash + 1]), source: unescape(fields[dash + 2]))
        }
    }

    /// `mountinfo` writes a space, tab, newline and backslash in a path as an octal escape (`\040`).
    static func unescape(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        let utf8 = Array(field.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + 3 < utf8.count,
                let value = UInt8(String(decoding: utf8[(index + 1)...(index + 3)], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isAtOrBelow(_ path: String, _ directory: String) -> Bool {
        directory == "/" || path == directory || path.hasPrefix(directory + "/")
    }

    private static func readMountInfo() -> String? {
        guard let file = fopen("/proc/self/mountinfo", "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
