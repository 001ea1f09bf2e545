#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore
import UnderstudyState

/// A stat walk of one share: every entry the share's filter keeps, with content hashes reused from the file
/// index where the file is provably unchanged (same size, mtime, ctime and inode). The index is asked a directory
/// at a time, as the walk enters it; a walk that needs no hashes (a sync's comparison, which compares size and
/// time) takes none and reads no index. Symlinks are recorded as links and never followed.
public struct TreeScanner {
    public struct Result: Sendable {
        /// Sorted by path; the root is the entry with path "".
        public var entries: [ManifestEntry]
        /// Partial copies left by interrupted transfers: final path → size.
        public var partials: [String: Int64]
        /// Our own temporaries (`.understudy.tmp.*`) found in the tree.
        public var temporaries: [String]
        /// Entries that cannot be mirrored (devices, FIFOs, sockets, names that are not UTF-8), with why.
        public var skipped: [(path: String, reason: String)]
        /// A slice's walk: the directories it entered that come before the slice, in path order (the times of those
        /// the slice changes something in are set back; the file index's records in them are pruned).
        public var context: [ManifestEntry] = []
        /// A slice's walk: false when it stopped at its limit (more of the tree follows its last entry).
        public var complete = true
    }

    public let filter: PathFilter
    public let index: any FileIndexLookup
    /// Asked before each directory: true stops the scan there (it throws, `ECANCELED`). By default, whether the
    /// calling task was cancelled; a scan on a thread of its own is told through a flag.
    public var isCancelled: @Sendable () -> Bool = { Task.isCancelled }

    /// - Parameter index: where the content hashes come from; by default none (every entry's hash is nil).
    public init(filter: PathFilter, index: any FileIndexLookup = FileIndexSnapshot()) {
        self.filter = filter
        self.index = index
    }

    public func scan(_ share: ShareDirectory) throws(FileSystemError) -> Result {
        try scan(share, scope: [ScopedPath("", recursive: true)])
    }

    /// Only the parts of the share that `scope` names (a live sync): each path that exists and the filter keeps,
    /// and everything below the recursive ones. Both ends scan the same scope, so what is absent on one side
    /// and present on the other is a real difference.
    public func scan(_ share: ShareDirectory, scope: [ScopedPath]) throws(FileSystemError) -> Result {
        var result = Result(entries: [], partials: [:], temporaries: [], skipped: [])
        var pending: [(path: String, descriptor: Int32)] = []
        defer { for item in pending { close(item.descriptor) } }
        for item in ScopedPath.minimal(scope) {
            if item.path.isEmpty {
                let rootStatus = try FileStatus.of(share.rootDescriptor, path: "")
                result.entries.append(
                    ManifestEntry(
                        path: "", kind: .directory, size: 0, attributes: rootStatus.attributes,
                        inode: rootStatus.inode, linkCount: rootStatus.linkCount))
                guard item.recursive else { continue }
                // A descriptor of its own: a dup would share the read position with every other walk of the root.
                let rootCopy = openat(share.rootDescriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard rootCopy >= 0 else { throw .errno("open share root", "") }
                pending.append(("", rootCopy))
            } else {
                guard isVisible(item.path), let parentPath = RelativePath.parent(item.path) else { continue }
                let parent: Int32
                do {
                    parent = try share.openDirectory(parentPath)
                } catch  where error.code == .pathRefused || error.errnoValue == ENOENT || error.errnoValue == ENOTDIR {
                    continue  // gone, or no longer a directory: the scope of that change covers it
                }
                defer { close(parent) }
                let child = try visit(
                    parent, String(RelativePath.name(item.path)), path: item.path,
                    known: index.record(at: item.path), into: &result)
                if let child {
                    if item.recursive { pending.append((item.path, child)) } else { close(child) }
                }
            }
            try walk(&pending, into: &result)
        }
        result.entries.sort { $0.path < $1.path }
        return result
    }

    /// Whether a full scan would reach `path`: no reserved name on the way, no excluded directory above it.
    func isVisible(_ path: String) -> Bool {
        var prefix = ""
        for component in RelativePath.components(path) {
            if component.hasPrefix(ShareDirectory.reservedPrefix) { return false }
            if !prefix.isEmpty && filter.isExcluded(prefix, isDirectory: true) { return false }
            prefix = RelativePath.join(prefix, component)
        }
        return true
    }

    private func walk(
        _ pending: inout [(path: String, descriptor: Int32)], into result: inout Result
    ) throws(FileSystemError) {
        while !pending.isEmpty {
            // A scan that was cancelled (its sync ended) stops at the next directory; the caller closes the
            // descriptors still pending.
            if isCancelled() {
                throw FileSystemError(
                    .systemCall, operation: "scan (cancelled)", path: pending[pending.count - 1].path, errno: ECANCELED)
            }
            let (directoryPath, fd) = pending.removeLast()
            guard let stream = fdopendir(fd) else {
                close(fd)
                throw .errno("read directory", directoryPath)
            }
            defer { closedir(stream) }
            let known = index.records(inDirectory: directoryPath)
            while true {
                // NULL is the end only with errno untouched: a network file system that fails mid-listing (a server
                // gone, a reconnect) must not pass for a directory whose other entries were deleted.
                errno = 0
                guard let dirent = readdir(stream) else {
                    if errno != 0 { throw .errno("read directory", directoryPath) }
                    break
                }
                let rawName = withUnsafeBytes(of: dirent.pointee.d_name) { raw in
                    Array(raw.prefix(while: { $0 != 0 }))
                }
                if rawName == [46] || rawName == [46, 46] { continue }
                guard let (name, path) = try mirrored(rawName, in: directoryPath, fd, into: &result) else { continue }
                if let child = try visit(fd, name, path: path, known: known[path], into: &result) {
                    pending.append((path, child))
                }
            }
        }
    }

    /// The name and path of the entry `rawName` of the directory `fd` when it may be mirrored; else nil, and a name
    /// that is not UTF-8 or too long is noted as skipped, one of our own names as a partial copy or a temporary.
    func mirrored(
        _ rawName: [UInt8], in directoryPath: String, _ fd: Int32, into result: inout Result
    ) throws(FileSystemError) -> (name: String, path: String)? {
        guard let name = String(validating: rawName, as: UTF8.self) else {
            let shown = String(decoding: rawName, as: UTF8.self)
            result.skipped.append((RelativePath.join(directoryPath, shown), "name is not valid UTF-8"))
            return nil
        }
        let path = RelativePath.join(directoryPath, name)
        if path.utf8.count > RelativePath.maximumLength {
            // No peer would accept it (nor most tools): it and everything below it stay out of the mirror.
            result.skipped.append((path, "its path is longer than \(RelativePath.maximumLength) bytes"))
            return nil
        }
        if name.hasPrefix(ShareDirectory.reservedPrefix) {
            try noteReserved(name: name, directory: directoryPath, fd: fd, into: &result)
            return nil
        }
        return (name, path)
    }

    /// Records the entry `name` of the directory `fd` if the filter keeps it, `known` being the index's record of
    /// it; for a directory, returns an open descriptor of it (the caller walks or closes it).
    func visit(
        _ fd: Int32, _ name: String, path: String, known: FileIndexRecord?, into result: inout Result
    ) throws(FileSystemError) -> Int32? {
        let status: FileStatus
        do {
            status = try FileStatus.at(fd, name, path: path)
        } catch  where error.errnoValue == ENOENT {
            return nil  // vanished while we walked
        }
        guard let kind = status.kind else {
            result.skipped.append((path, "not a regular file, directory or symlink"))
            return nil
        }
        if filter.isExcluded(path, isDirectory: kind == .directory) { return nil }
        switch kind {
        case .directory:
            let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if child < 0 {
                if errno == ENOENT { return nil }
                throw .errno("open directory", path)
            }
            result.entries.append(
                ManifestEntry(
                    path: path, kind: .directory, size: 0, attributes: status.attributes,
                    inode: status.inode, linkCount: status.linkCount))
            return child
        case .symlink:
            guard filter.isIncluded(path) else { return nil }
            let target: String
            do {
                target = try readLink(fd, name, path: path)
            } catch {
                // One link whose target cannot be read (sshfs refuses a dangling one; a target not UTF-8) costs that
                // link, not the walk.
                result.skipped.append((path, "its target cannot be read: \(error)"))
                return nil
            }
            result.entries.append(
                ManifestEntry(
                    path: path, kind: .symlink, size: Int64(target.utf8.count),
                    attributes: status.attributes, linkTarget: target,
                    inode: status.inode, linkCount: status.linkCount))
        case .file:
            guard filter.isIncluded(path) else { return nil }
            result.entries.append(
                ManifestEntry(
                    path: path, kind: .file, size: status.size, attributes: status.attributes,
                    inode: status.inode, linkCount: status.linkCount,
                    contentHash: knownHash(known, status)))
        }
        return nil
    }

    private func knownHash(_ known: FileIndexRecord?, _ status: FileStatus) -> [UInt8]? {
        known?.contentHash(ifItDescribes: status)
    }

    private func noteReserved(
        name: String, directory: String, fd: Int32, into result: inout Result
    ) throws(FileSystemError) {
        // The replica's mark (see ReplicaAdoption) stays, unmirrored.
        if directory.isEmpty && name == ReplicaAdoption.markerName { return }
        if name.hasPrefix(ShareDirectory.partialPrefix) {
            let finalName = String(name.dropFirst(ShareDirectory.partialPrefix.count))
            if let status = try? FileStatus.at(fd, name, path: name), status.kind == .file, !finalName.isEmpty {
                result.partials[RelativePath.join(directory, finalName)] = status.size
                return
            }
        }
        result.temporaries.append(RelativePath.join(directory, name))
    }

    private func readLink(_ fd: Int32, _ name: String, path: String) throws(FileSystemError) -> String {
        var buffer = [UInt8](repeating: 0, count: 4097)
        let count = readlinkat(fd, name, &buffer, buffer.count - 1)
        guard count >= 0 else { throw .errno("read symlink", path) }
        guard let target = String(validating: buffer[..<count], as: UTF8.self) else {
            throw FileSystemError(.notUTF8, operation: "symlink target is not valid UTF-8", path: path)
        }
        return target
    }
}
