#if canImport(Glibc)
import Glibc
#endif
import Crypto
import UnderstudyCore
import UnderstudyDelta
import UnderstudyState
import UnderstudyWire

/// Applies a sync plan to a replica without ever leaving a torn file under a final name (DESIGN rule 1):
/// content goes to a hidden sibling, becomes durable, and only then is renamed over the final name.
/// Files are committed in batches: one `syncfs` makes a whole batch's data durable (and the renames of the batch
/// before it), the renames follow; `makeDurable()`'s `syncfs` makes the last renames and every step applied directly
/// durable before the sync is acknowledged. `BatchFlusher` does
/// that on its own thread while the next batch is received. A large new file is
/// written under a `.understudy.part.` name, so an interrupted transfer leaves a basis for a delta.
public final class ReplicaWriter {
    public struct Options: Sendable {
        public var applyOwnership: Bool
        public var batchFiles: Int = 1000
        public var batchBytes: Int64 = 64 * 1024 * 1024
        /// New files at least this large are written under a partial name that survives a crash.
        public var partialThreshold: Int64 = 64 * 1024
        /// Keeps the prior version of every file replaced or deleted (the share's `history`); nil: off.
        public var history: (any ReplacedVersionKeeper)?
        /// Archives share inodes with the replica: an attribute change then gives the file a new inode instead of
        /// changing the shared one in place (which would change the archived copies too).
        public var breakSharedInodes = false
        /// The zstd dictionaries received on the connection (a file compressed with one names it); nil: none.
        public var dictionaries: CompressionDictionaries?
        /// Files received of at least this many bytes get their block signature made as they are written (see
        /// `takeSignatures()`); `.max`: none.
        public var signatureMinimum: Int64 = .max
        /// Where `syncfs` is asked for: in rounds shared with the other shares on the same file system.
        public var fileSystemSync = FileSystemSync.shared

        public init(applyOwnership: Bool) {
            self.applyOwnership = applyOwnership
        }
    }

    struct PendingCommit {
        var path: String
        var temporaryName: String
        var contentHash: [UInt8]
        var size: Int64
        var partialToRemove: String?
        /// The file's block signature, made as it was written (large files only).
        var signature: [UInt8]?
    }

    public let share: ShareDirectory
    public let options: Options
    var pending: [PendingCommit] = []
    var pendingBytes: Int64 = 0
    /// A step was applied directly, or a batch renamed into place, since the last `makeDurable()`.
    var metadataChanged = false
    /// Files committed since the last `takeIndexChanges()`, for the file index.
    var committedRecords: [FileIndexRecord] = []
    /// Signatures of files committed since the last `takeSignatures()`, keyed by their stat in place.
    var committedSignatures: [FileSignatureRecord] = []
    var removedPaths: [String] = []
    /// Renames since the last `takeIndexChanges()`: new path → old path (the index carries the hash over).
    var renamedPaths: [String: String] = [:]
    public internal(set) var filesApplied: Int64 = 0
    public internal(set) var bytesWritten: Int64 = 0

    /// One decoder for every file of the sync (reset per file; creating one per file is costly).
    let decompressor: ZstdDecompressor
    let flusher: BatchFlusher

    public init(share: ShareDirectory, options: Options) throws {
        self.share = share
        self.options = options
        decompressor = try ZstdDecompressor()
        flusher = try BatchFlusher(rootPath: share.rootPath, history: options.history, sync: options.fileSystemSync)
    }

    deinit {
        // A batch still in flight finishes (its files are complete); nothing is left half-renamed.
        _ = flusher.wait()
    }

    // MARK: Plan steps other than file content

    public func apply(_ operation: SyncOperation) throws(FileSystemError) {
        // Renames, deletions, links and attributes are made durable together by `makeDurable()`.
        metadataChanged = true
        switch operation {
        case .removeTree(let path), .delete(let path):
            try flush()
            let (dir, name) = try share.parent(of: path)
            options.history?.preserveTree(dir, name, path: path, reason: "deleted")
            try ReplicaWriter.removeRecursively(dir, name, path: path)
            share.invalidateCache()
            removedPaths.append(path)
        case .makeDirectory(let path):
            let (dir, name) = try share.parent(of: path)
            if mkdirat(dir, name, 0o700) != 0 {
                guard errno == EEXIST, try FileStatus.at(dir, name, path: path).kind == .directory else {
                    throw .errno("create directory", path)
                }
            }
        case .rename(let from, let to, _):
            try flush()
            let (fromDir, fromName) = try share.parent(of: from)
            let source = dup(fromDir)
            defer { close(source) }
            let (toDir, toName) = try share.parent(of: to)
            if let history = options.history {
                history.preserve(toDir, toName, path: to, reason: "replaced")
                history.preserveTree(source, fromName, path: from, reason: "moved")
            }
            guard renameat(source, fromName, toDir, toName) == 0 else {
                throw .errno("rename to \(String(reflecting: to))", from)
            }
            options.history?.noteMovedInTree(toDir, toName, path: to)
            removedPaths.append(from)
            renamedPaths[to] = from
            if let status = try? FileStatus.at(toDir, toName, path: to), status.kind == .file {
                committedRecords.append(ReplicaWriter.record(to, status, hash: nil))
            }
        case .sendFile(let path, _, _):
            throw FileSystemError(
                .pathRefused, operation: "file content must arrive as fileBegin, not as an operation", path: path)
        case .makeSymlink(let path, let target, let attributes):
            let (dir, name) = try share.parent(of: path)
            let temporary = ReplicaWriter.temporaryName()
            guard symlinkat(target, dir, temporary) == 0 else { throw .errno("create symlink", path) }
            do throws(FileSystemError) {
                try setLinkAttributes(dir, temporary, attributes, path: path)
                options.history?.preserve(dir, name, path: path, reason: "replaced")
                guard renameat(dir, temporary, dir, name) == 0 else {
                    throw FileSystemError.errno("rename symlink into place", path)
                }
            } catch {
                unlinkat(dir, temporary, 0)
                throw error
            }
        case .makeHardLink(let path, let target):
            try flush()
            let (targetDir, targetName) = try share.parent(of: target)
            let targetDescriptor = dup(targetDir)
            defer { close(targetDescriptor) }
            guard try FileStatus.at(targetDescriptor, targetName, path: target).kind == .file else {
                throw FileSystemError(
                    .pathRefused, operation: "hard link target is not a regular file; refused", path: target)
            }
            let (dir, name) = try share.parent(of: path)
            let temporary = ReplicaWriter.temporaryName()
            guard linkat(targetDescriptor, targetName, dir, temporary, 0) == 0 else {
                throw .errno("create hard link", path)
            }
            options.history?.preserve(dir, name, path: path, reason: "replaced")
            guard renameat(dir, temporary, dir, name) == 0 else {
                unlinkat(dir, temporary, 0)
                throw .errno("rename hard link into place", path)
            }
        case .setAttributes(let path, let kind, let attributes):
            let (dir, name) = try share.parent(of: path)
            if kind == .symlink {
                try setLinkAttributes(dir, name, attributes, path: path)
            } else {
                let fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                guard fd >= 0 else { throw .errno("open for attributes", path) }
                defer { close(fd) }
                guard try FileStatus.of(fd, path: path).kind == .file else {
                    throw FileSystemError(
                        .pathRefused, operation: "is not a regular file; attributes refused", path: path)
                }
                var info = stat()
                if options.breakSharedInodes, fstat(fd, &info) == 0, info.st_nlink > 1 {
                    try replaceWithOwnCopy(fd, dir, name, attributes, path: path)
                } else {
                    try setAttributes(fd, attributes, path: path)
                }
            }
        case .setDirectoryAttributes(let path, let attributes):
            try flush()
            let fd = try share.openDirectory(path)
            defer { close(fd) }
            try setAttributes(fd, attributes, path: path)
        }
    }

    /// Gives `name` a new inode with `attributes`: its content is copied to a temporary sibling, which replaces it.
    /// The old inode keeps its attributes for the archives that share it.
    private func replaceWithOwnCopy(
        _ fd: Int32, _ dir: Int32, _ name: String, _ attributes: FileAttributes, path: String
    ) throws(FileSystemError) {
        let temporary = ReplicaWriter.temporaryName()
        let output = openat(dir, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw .errno("create a copy of", path) }
        let failure: FileSystemError? = {
            defer { close(output) }
            do {
                try TreeCloner.copyContent(from: fd, to: output, path: path)
            } catch let error as FileSystemError {
                return error
            } catch {
                return FileSystemError(.systemCall, operation: "copy: \(error)", path: path)
            }
            guard fsync(output) == 0 else { return FileSystemError.errno("fsync the copy of", path) }
            do throws(FileSystemError) {
                try setAttributes(output, attributes, path: path)
            } catch {
                return error
            }
            return nil
        }()
        if let failure {
            unlinkat(dir, temporary, 0)
            throw failure
        }
        guard renameat(dir, temporary, dir, name) == 0 else {
            unlinkat(dir, temporary, 0)
            throw .errno("rename the copy over", path)
        }
    }

    // MARK: Durability

    /// Makes every file received so far durable under its final name.
    public func flush() throws(FileSystemError) {
        try submitPending()
        try collectFlushed()
    }

    /// Everything applied so far is on stable storage: the files (`flush()`) and the steps applied directly.
    /// Called before a sync is acknowledged.
    public func makeDurable() throws(FileSystemError) {
        try flush()
        guard metadataChanged else { return }
        try options.fileSystemSync.sync(share.rootDescriptor)
        metadataChanged = false
    }

    /// Hands the current batch to the flusher, after the batch before it is done; returns at once.
    func submitPending() throws(FileSystemError) {
        try collectFlushed()
        if pending.isEmpty { return }
        // Its renames are made durable by the next `syncfs`: the next batch's, or the sync's last.
        metadataChanged = true
        flusher.submit(pending)
        pending.removeAll(keepingCapacity: true)
        pendingBytes = 0
    }

    /// Waits for the batch in flight and takes over its results (or its error).
    private func collectFlushed() throws(FileSystemError) {
        let outcome = flusher.wait()
        committedRecords += outcome.records
        committedSignatures += outcome.signatures
        filesApplied += outcome.filesApplied
        if let error = outcome.error { throw error }
    }

    /// Index changes since the last call: records of files written or moved, and paths removed.
    public func takeIndexChanges() -> (records: [FileIndexRecord], removed: [String], renamed: [String: String]) {
        defer {
            committedRecords.removeAll()
            removedPaths.removeAll()
            renamedPaths.removeAll()
        }
        return (committedRecords, removedPaths, renamedPaths)
    }

    /// The records of the files made durable since the last call, once there are `atLeast` of them and no removal or
    /// rename waits to go into the index before them (`takeIndexChanges` keeps that order); else nothing. A first
    /// sync's records so reach the index in parts, as its batches are made durable.
    public func takeDurableRecords(atLeast: Int) -> [FileIndexRecord] {
        guard committedRecords.count >= atLeast, removedPaths.isEmpty, renamedPaths.isEmpty else { return [] }
        defer { committedRecords.removeAll() }
        return committedRecords
    }

    /// Block signatures of the large files made durable since the last call, with the stat they describe.
    public func takeSignatures() -> [FileSignatureRecord] {
        defer { committedSignatures.removeAll() }
        return committedSignatures
    }

    // MARK: Housekeeping

    /// Removes our own temporaries (left by a crash); they never hold anything a reader may see.
    public func removeTemporaries(_ paths: [String]) {
        for path in paths {
            guard let (dir, name) = try? share.parent(of: path) else { continue }
            keepingTimes(of: dir) { _ = try? ReplicaWriter.removeRecursively(dir, name, path: path) }
        }
    }

    /// Removes partial copies once a sync has completed: any left are stale.
    public func removePartials(_ finalPaths: [String]) {
        for path in finalPaths {
            guard let (dir, name) = try? share.parent(of: path) else { continue }
            keepingTimes(of: dir) { unlinkat(dir, ShareDirectory.partialPrefix + name, 0) }
        }
    }

    /// Our own housekeeping (temporaries, partial copies) must not change a directory's times: they were
    /// compared with the source's, or set to them, already.
    private func keepingTimes(of directory: Int32, _ body: () -> Void) {
        var before = stat()
        let known = fstat(directory, &before) == 0
        body()
        guard known else { return }
        var times = [before.st_atim, before.st_mtim]
        _ = futimens(directory, &times)
    }

    package static func temporaryName() -> String {
        var random = SystemRandomNumberGenerator()
        let value = random.next() as UInt64
        let hex = String(value, radix: 16)
        return ShareDirectory.temporaryPrefix + String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func record(_ path: String, _ status: FileStatus, hash: [UInt8]?) -> FileIndexRecord {
        FileIndexRecord(
            path: path, size: status.size,
            mtimeSeconds: status.attributes.mtimeSeconds, mtimeNanoseconds: Int32(status.attributes.mtimeNanoseconds),
            ctimeSeconds: status.ctimeSeconds, ctimeNanoseconds: status.ctimeNanoseconds,
            inode: status.inode, contentHash: hash)
    }

    func setAttributes(_ fd: Int32, _ attributes: FileAttributes, path: String) throws(FileSystemError) {
        if options.applyOwnership {
            guard fchown(fd, attributes.uid, attributes.gid) == 0 else { throw .errno("change owner of", path) }
        }
        guard fchmod(fd, mode_t(attributes.mode)) == 0 else { throw .errno("change mode of", path) }
        var times = [ReplicaWriter.timespec(attributes), ReplicaWriter.timespec(attributes)]
        guard futimens(fd, &times) == 0 else { throw .errno("set times of", path) }
    }

    func setLinkAttributes(
        _ dir: Int32, _ name: String, _ attributes: FileAttributes, path: String
    ) throws(FileSystemError) {
        if options.applyOwnership {
            guard fchownat(dir, name, attributes.uid, attributes.gid, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw .errno("change owner of", path)
            }
        }
        var times = [ReplicaWriter.timespec(attributes), ReplicaWriter.timespec(attributes)]
        guard utimensat(dir, name, &times, AT_SYMLINK_NOFOLLOW) == 0 else { throw .errno("set times of", path) }
    }

    static func timespec(_ attributes: FileAttributes) -> Glibc.timespec {
        Glibc.timespec(tv_sec: Int(attributes.mtimeSeconds), tv_nsec: Int(attributes.mtimeNanoseconds))
    }

    /// Removes a file, symlink or whole directory below `dir` without following any symlink.
    static func removeRecursively(_ dir: Int32, _ name: String, path: String) throws(FileSystemError) {
        if unlinkat(dir, name, 0) == 0 || errno == ENOENT { return }
        guard errno == EISDIR || errno == EPERM else { throw .errno("remove", path) }
        let child = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard child >= 0 else { throw .errno("open directory to remove", path) }
        guard let stream = fdopendir(child) else {
            close(child)
            throw .errno("read directory to remove", path)
        }
        var names: [String] = []
        while let dirent = readdir(stream) {
            let entry = withUnsafeBytes(of: dirent.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if entry != "." && entry != ".." { names.append(entry) }
        }
        // Names that are not UTF-8 cannot round-trip through String; remove those by raw bytes.
        rewinddir(stream)
        var rawNames: [[CChar]] = []
        while let dirent = readdir(stream) {
            let raw = withUnsafeBytes(of: dirent.pointee.d_name) { Array($0.prefix(while: { $0 != 0 })) }
            if String(validating: raw, as: UTF8.self) == nil {
                rawNames.append(raw.map { CChar(bitPattern: $0) } + [0])
            }
        }
        let childDescriptor = dirfd(stream)
        for entry in names {
            try removeRecursively(childDescriptor, entry, path: RelativePath.join(path, entry))
        }
        for raw in rawNames {
            if unlinkat(childDescriptor, raw, 0) != 0 && errno == EISDIR {
                unlinkat(childDescriptor, raw, AT_REMOVEDIR)
            }
        }
        closedir(stream)
        guard unlinkat(dir, name, AT_REMOVEDIR) == 0 || errno == ENOENT else { throw .errno("remove directory", path) }
    }
}
