#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore
import UnderstudyState

extension TreeScanner {
    /// One slice of the share, walked in path order: the entries after `slice.after`, up to `slice.limit` of them,
    /// sorted, and the directories the walk entered that come before the slice (`Result.context`: those above its
    /// entries, and any whose remaining names all lay before it). `Result.complete` is false when the walk stopped at
    /// the limit: every entry of the tree up to the last one returned is in the slice, and the next slice starts
    /// after it.
    ///
    /// Each directory is read whole and its names sorted, a directory's subtree taking its place after the names
    /// that sort before "name/": the walk then meets the paths in the order `String` sorts them. Directories wholly
    /// before the slice are not entered.
    public func scan(_ share: ShareDirectory, slice: PathSlice) throws(FileSystemError) -> Result {
        precondition(slice.limit > 0, "a slice holds at least one entry")
        var result = Result(entries: [], partials: [:], temporaries: [], skipped: [])
        let root = try FileStatus.of(share.rootDescriptor, path: "")
        let rootEntry = ManifestEntry(
            path: "", kind: .directory, size: 0, attributes: root.attributes, inode: root.inode,
            linkCount: root.linkCount)
        if slice.after == nil {
            result.entries.append(rootEntry)
            if slice.limit == 1 {
                result.complete = false
                return result
            }
        }
        // A descriptor of its own: a dup would share the read position with every other walk of the root.
        let rootCopy = openat(share.rootDescriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootCopy >= 0 else { throw .errno("open share root", "") }
        if slice.after != nil { result.context.append(rootEntry) }
        result.complete = try walkSorted(rootCopy, path: "", slice, into: &result)
        return result
    }

    /// Walks the directory `fd` (closed here) in path order; false when the slice reached its limit.
    private func walkSorted(
        _ fd: Int32, path directoryPath: String, _ slice: PathSlice, into result: inout Result
    ) throws(FileSystemError) -> Bool {
        defer { close(fd) }
        if isCancelled() {
            throw FileSystemError(.systemCall, operation: "scan (cancelled)", path: directoryPath, errno: ECANCELED)
        }
        guard let listing = DirectoryEntry.read(fd) else { throw .errno("read directory", directoryPath) }
        // Each name, and after it (where it sorts) the subtree of each directory.
        var keys: [(key: String, name: String, subtree: Bool)] = []
        keys.reserveCapacity(listing.count + listing.count / 8)
        for item in listing {
            let rawName = item.name.dropLast().map { UInt8(bitPattern: $0) }
            guard let (name, path) = try mirrored(rawName, in: directoryPath, fd, into: &result) else { continue }
            keys.append((path, name, false))
            if item.resolvedKind(in: fd) == .directory { keys.append((path + "/", name, true)) }
        }
        keys.sort { $0.key < $1.key }
        let known = index.records(inDirectory: directoryPath)
        // Directories of this one met as entries, open until their subtree's turn.
        var opened: [String: Int32] = [:]
        defer { for descriptor in opened.values { close(descriptor) } }
        for item in keys {
            let path = item.subtree ? String(item.key.dropLast()) : item.key
            if !item.subtree {
                guard slice.follows(path) else { continue }
                if let child = try visit(fd, item.name, path: path, known: known[path], into: &result) {
                    opened[path] = child
                }
                if result.entries.count >= slice.limit { return false }
                continue
            }
            guard slice.reachesBelow(path) else { continue }
            if let child = opened.removeValue(forKey: path) {
                guard try walkSorted(child, path: path, slice, into: &result) else { return false }
                continue
            }
            // A directory before the slice, with something after its start below it: entered, and its entry is
            // context for whatever the slice changes inside it.
            guard !slice.follows(path), !filter.isExcluded(path, isDirectory: true) else { continue }
            let child = openat(fd, item.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if child < 0 {
                if [ENOENT, ENOTDIR, ELOOP].contains(errno) { continue }
                throw .errno("open directory", path)
            }
            let status: FileStatus
            do {
                status = try FileStatus.of(child, path: path)
            } catch {
                close(child)
                throw error
            }
            result.context.append(
                ManifestEntry(
                    path: path, kind: .directory, size: 0, attributes: status.attributes, inode: status.inode,
                    linkCount: status.linkCount))
            guard try walkSorted(child, path: path, slice, into: &result) else { return false }
        }
        return true
    }
}
