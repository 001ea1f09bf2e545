#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import UnderstudyCore

/// A share's tree carried to another site on a disk: `export` copies it at local speed into a new directory
/// (`data/` and `seed.json`, every file hashed as it is read and made durable), `verify` proves such a copy whole,
/// and `adopt` moves (or copies) a verified one into a replica that does not exist yet and marks it as that share's,
/// so that the node's first sync compares it and sends only what changed since the export.
public enum SeedCopy {
    public struct Progress: Sendable {
        public var files = 0
        public var bytes: Int64 = 0
        public var totalFiles = 0
        public var totalBytes: Int64 = 0
    }

    /// Copies the tree at `root` (what `filter` mirrors; understudy's own files left out) into `destination`, which
    /// must not exist or be empty. `progress` is called every few hundred files.
    public static func export(
        root: String, filter: PathFilter, to destination: String, cluster: String, share: String, node: String,
        now: Double, progress: (Progress) -> Void = { _ in }
    ) throws -> SeedManifest {
        let tree = try ShareDirectory(path: root, create: false)
        let scan = try TreeScanner(filter: filter).scan(tree)
        try requireEmpty(destination, what: "the seed directory")
        let data = destination + "/" + SeedManifest.dataDirectory
        try ShareDirectory.makeDirectories(data)
        var counts = Progress(
            totalFiles: scan.entries.count { $0.kind == .file },
            totalBytes: scan.entries.reduce(0) { $0 + ($1.kind == .file ? $1.size : 0) })
        var items: [SeedManifest.Item] = []
        for entry in scan.entries where !entry.path.isEmpty {
            let target = data + "/" + entry.path
            var item = SeedManifest.Item(
                path: entry.path, kind: "\(entry.kind)", size: entry.size, mode: entry.attributes.mode,
                uid: entry.attributes.uid, gid: entry.attributes.gid, mtimeSeconds: entry.attributes.mtimeSeconds,
                mtimeNanoseconds: entry.attributes.mtimeNanoseconds, target: entry.linkTarget)
            switch entry.kind {
            case .directory:
                guard mkdir(target, 0o700) == 0 else { throw FileSystemError.errno("create directory", target) }
            case .symlink:
                guard let link = entry.linkTarget, symlink(link, target) == 0 else {
                    throw FileSystemError.errno("create symlink", target)
                }
            case .file:
                let (digest, size) = try copyFile(entry.path, from: tree, to: target)
                item.sha256 = digest
                item.size = size
                counts.files += 1
                counts.bytes += size
                if counts.files % 500 == 0 { progress(counts) }
            }
            items.append(item)
        }
        // Attributes last, deepest first: writing into a directory changes its time.
        for item in items.reversed() { try setAttributes(item, at: data + "/" + item.path) }
        if let root = scan.entries.first(where: { $0.path.isEmpty }) {
            try setAttributes(
                SeedManifest.Item(
                    path: "", kind: "directory", size: 0, mode: root.attributes.mode, uid: root.attributes.uid,
                    gid: root.attributes.gid, mtimeSeconds: root.attributes.mtimeSeconds,
                    mtimeNanoseconds: root.attributes.mtimeNanoseconds), at: data)
        }
        let manifest = SeedManifest(cluster: cluster, share: share, node: node, exportedAt: now, items: items)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeDurably(try encoder.encode(manifest), to: destination + "/" + SeedManifest.fileName)
        progress(counts)
        return manifest
    }

    /// Reads `seed.json` and proves every entry of `data/` against it: each file's content (SHA-256) and size, each
    /// symlink's target, each directory. Throws `SeedError` naming what differs; changes nothing.
    public static func verify(_ seed: String, progress: (Progress) -> Void = { _ in }) throws -> SeedManifest {
        let manifestPath = seed + "/" + SeedManifest.fileName
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw SeedError(
                "\(manifestPath) cannot be read: is \(seed) a directory written by `understudy seed export`?")
        }
        let manifest: SeedManifest
        do {
            manifest = try JSONDecoder().decode(SeedManifest.self, from: data)
        } catch {
            throw SeedError("\(manifestPath) is not a seed manifest: \(error)")
        }
        guard manifest.version == SeedManifest.currentVersion else {
            throw SeedError(
                "\(manifestPath) is of version \(manifest.version); this understudy reads version \(SeedManifest.currentVersion)"
            )
        }
        guard access(seed + "/" + SeedManifest.dataDirectory, F_OK) == 0 else {
            throw SeedError(
                "the seed in \(seed) has its manifest but no \(SeedManifest.dataDirectory)/ directory: was it imported already (an import on the same file system moves the tree into place)?"
            )
        }
        let tree = try ShareDirectory(path: seed + "/" + SeedManifest.dataDirectory, create: false)
        var counts = Progress(totalFiles: manifest.files, totalBytes: manifest.bytes)
        var bad: [String] = []
        for item in manifest.items {
            guard RelativePath.isValid(item.path) else {
                throw SeedError("\(manifestPath) names \(String(reflecting: item.path)), not a path inside a share")
            }
            switch item.kind {
            case "file":
                do {
                    let (digest, size) = try hashFile(item.path, in: tree)
                    if digest != item.sha256 || size != item.size { bad.append(item.path) }
                } catch {
                    bad.append(item.path)
                }
                counts.files += 1
                counts.bytes += item.size
                if counts.files % 500 == 0 { progress(counts) }
            case "symlink":
                let (parent, name) = try tree.parent(of: item.path)
                var buffer = [CChar](repeating: 0, count: 4097)
                let length = readlinkat(parent, name, &buffer, 4096)
                if length < 0
                    || String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                        != item.target
                {
                    bad.append(item.path)
                }
            case "directory":
                if let fd = try? tree.openDirectory(item.path) { close(fd) } else { bad.append(item.path) }
            default:
                throw SeedError(
                    "\(manifestPath): entry \(String(reflecting: item.path)) has an unknown kind '\(item.kind)'")
            }
        }
        guard bad.isEmpty else {
            throw SeedError(
                "the seed in \(seed) is damaged: \(bad.count) entries differ from its manifest (\(bad.prefix(5).map { String(reflecting: $0) }.joined(separator: ", "))\(bad.count > 5 ? ", …" : "")); export it again"
            )
        }
        progress(counts)
        return manifest
    }

    /// Puts the verified seed's tree in place as `replica` (which must not exist, or be empty): a rename when both are
    /// on one file system (the seed directory is left with its manifest only), else a copy into a temporary sibling
    /// renamed into place. Then marks it as the share's replica for `identity`.
    public static func adopt(
        _ seed: String, manifest: SeedManifest, into replica: String, identity: ReplicaAdoption.Identity
    ) throws {
        let data = seed + "/" + SeedManifest.dataDirectory
        try requireEmpty(replica, what: "the replica")
        let parent = (replica as NSString).deletingLastPathComponent
        try ShareDirectory.makeDirectories(parent)
        rmdir(replica)  // an empty one is replaced
        if rename(data, replica) != 0 {
            guard errno == EXDEV else { throw FileSystemError.errno("move the seed into place as", replica) }
            let temporary = parent + "/.understudy.seed." + String(UInt64.random(in: 0...UInt64.max), radix: 16)
            try copyTree(manifest, from: data, to: temporary)
            guard rename(temporary, replica) == 0 else {
                throw FileSystemError.errno("move the copied seed into place as", replica)
            }
        }
        let fd = open(parent, O_RDONLY | O_DIRECTORY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        // The mark must not change the root's time: it is the tree's, as exported.
        var root = stat()
        guard stat(replica, &root) == 0 else { throw FileSystemError.errno("look at", replica) }
        try ReplicaAdoption.mark(replica, identity: identity, how: "seeded from \(seed)")
        var times = [root.st_atim, root.st_mtim]
        guard utimensat(AT_FDCWD, replica, &times, 0) == 0 else {
            throw FileSystemError.errno("set the times of", replica)
        }
    }

    // MARK: - Files

    private static func requireEmpty(_ path: String, what: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            guard errno == ENOENT else { throw FileSystemError.errno("look at \(what)", path) }
            return
        }
        guard info.st_mode & S_IFMT == S_IFDIR,
            (try? FileManager.default.contentsOfDirectory(atPath: path))?.isEmpty == true
        else {
            throw SeedError("\(what) \(path) exists and is not an empty directory; name a new one")
        }
    }

    /// Copies one file of `tree` to `target` (created, never following a link), returning its SHA-256 and size.
    private static func copyFile(_ path: String, from tree: ShareDirectory, to target: String) throws -> (String, Int64)
    {
        let (parent, name) = try tree.parent(of: path)
        let input = openat(parent, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard input >= 0 else { throw FileSystemError.errno("open", path) }
        defer { close(input) }
        let output = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw FileSystemError.errno("create", target) }
        defer { close(output) }
        var hasher = SHA256()
        var size: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = read(input, &buffer, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.errno("read", path)
            }
            if count == 0 { break }
            try buffer.withUnsafeBytes { bytes in
                let chunk = UnsafeRawBufferPointer(rebasing: bytes[0..<count])
                hasher.update(bufferPointer: chunk)
                var offset = 0
                while offset < count {
                    let written = write(output, chunk.baseAddress! + offset, count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw FileSystemError.errno("write", target)
                    }
                    offset += written
                }
            }
            size += Int64(count)
        }
        guard fsync(output) == 0 else { throw FileSystemError.errno("fsync", target) }
        return (hex(hasher.finalize()), size)
    }

    private static func hashFile(_ path: String, in tree: ShareDirectory) throws -> (String, Int64) {
        let (parent, name) = try tree.parent(of: path)
        let fd = openat(parent, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError.errno("open", path) }
        defer { close(fd) }
        var hasher = SHA256()
        var size: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.errno("read", path)
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            size += Int64(count)
        }
        return (hex(hasher.finalize()), size)
    }

    private static func setAttributes(_ item: SeedManifest.Item, at path: String) throws {
        if geteuid() == 0 { lchown(path, item.uid, item.gid) }
        if item.kind != "symlink" { chmod(path, mode_t(item.mode & 0o7777)) }
        var times = [
            timespec(tv_sec: Int(item.mtimeSeconds), tv_nsec: Int(item.mtimeNanoseconds)),
            timespec(tv_sec: Int(item.mtimeSeconds), tv_nsec: Int(item.mtimeNanoseconds)),
        ]
        guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw FileSystemError.errno("set the times of", path)
        }
    }

    /// A copy of a verified seed tree onto another file system, entry by entry as its manifest lists them, each file
    /// made durable, attributes last (deepest first).
    private static func copyTree(_ manifest: SeedManifest, from source: String, to target: String) throws {
        let tree = try ShareDirectory(path: source, create: false)
        try ShareDirectory.makeDirectories(target)
        for item in manifest.items {
            let path = target + "/" + item.path
            switch item.kind {
            case "directory":
                guard mkdir(path, 0o700) == 0 else { throw FileSystemError.errno("create directory", path) }
            case "symlink":
                guard let link = item.target, symlink(link, path) == 0 else {
                    throw FileSystemError.errno("create symlink", path)
                }
            default:
                _ = try copyFile(item.path, from: tree, to: path)
            }
        }
        for item in manifest.items.reversed() { try setAttributes(item, at: target + "/" + item.path) }
        // The root as the seed's (`export` gave it the tree's).
        var root = stat()
        guard stat(source, &root) == 0 else { throw FileSystemError.errno("look at", source) }
        try setAttributes(
            SeedManifest.Item(
                path: "", kind: "directory", size: 0, mode: UInt32(root.st_mode), uid: root.st_uid, gid: root.st_gid,
                mtimeSeconds: Int64(root.st_mtim.tv_sec), mtimeNanoseconds: UInt32(root.st_mtim.tv_nsec)), at: target)
    }

    private static func writeDurably(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError.errno("create", temporary) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == data.count, synced == 0 else { throw FileSystemError.errno("write", temporary) }
        guard rename(temporary, path) == 0 else { throw FileSystemError.errno("rename into place", path) }
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

/// A seed that cannot be exported, verified or adopted: what and where, for the administrator.
public struct SeedError: Error, CustomStringConvertible, CodedError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorCode: String { "seed-refused" }
}
