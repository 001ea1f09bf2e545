#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore

/// A stat walk of one share: every entry the share's filter keeps, with content hashes reused from the file
/// index where the file is provably unchanged (same size, mtime, ctime and inode), so a restart with nothing
/// changed costs a walk, not a rehash. Symlinks are recorded as links and never followed.
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
    }

    public let filter: PathFilter
    public let index: [String: FileIndexRecord]

    public init(filter: PathFilter, index: [String: FileIndexRecord] = [:]) {
        self.filter = filter
        self.index = index
    }

    public func scan(_ share: ShareDirectory) throws(FileSystemError) -> Result {
        var result = Result(entries: [], partials: [:], temporaries: [], skipped: [])
        let rootStatus = try FileStatus.of(share.rootDescriptor, path: "")
        result.entries.append(ManifestEntry(path: "", kind: .directory, size: 0, attributes: rootStatus.attributes,
                                            inode: rootStatus.inode, linkCount: rootStatus.linkCount))
        let rootCopy = dup(share.rootDescriptor)
        guard rootCopy >= 0 else { throw .errno("dup", "") }
        var pending: [(path: String, descriptor: Int32)] = [("", rootCopy)]
        defer { for item in pending { close(item.descriptor) } }
        while let (directoryPath, fd) = pending.popLast() {
            guard let stream = fdopendir(fd) else {
                close(fd)
                throw .errno("read directory", directoryPath)
            }
            defer { closedir(stream) }
            while let dirent = readdir(stream) {
                let rawName = withUnsafeBytes(of: dirent.pointee.d_name) { raw in
                    Array(raw.prefix(while: { $0 != 0 }))
                }
                if rawName == [46] || rawName == [46, 46] { continue }
                guard let name = String(validating: rawName, as: UTF8.self) else {
                    let shown = String(decoding: rawName, as: UTF8.self)
                    result.skipped.append((RelativePath.join(directoryPath, shown), "name is not valid UTF-8"))
                    continue
                }
                let path = RelativePath.join(directoryPath, name)
                if name.hasPrefix(ShareDirectory.reservedPrefix) {
                    try noteReserved(name: name, directory: directoryPath, fd: fd, into: &result)
                    continue
                }
                let status: FileStatus
                do {
                    status = try FileStatus.at(fd, name, path: path)
                } catch where error.errnoValue == ENOENT {
                    continue  // vanished while we walked
                }
                guard let kind = status.kind else {
                    result.skipped.append((path, "not a regular file, directory or symlink"))
                    continue
                }
                if filter.isExcluded(path, isDirectory: kind == .directory) { continue }
                switch kind {
                case .directory:
                    let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    if child < 0 {
                        if errno == ENOENT { continue }
                        throw .errno("open directory", path)
                    }
                    pending.append((path, child))
                    result.entries.append(ManifestEntry(path: path, kind: .directory, size: 0, attributes: status.attributes,
                                                        inode: status.inode, linkCount: status.linkCount))
                case .symlink:
                    guard filter.isIncluded(path) else { continue }
                    let target = try readLink(fd, name, path: path)
                    result.entries.append(ManifestEntry(path: path, kind: .symlink, size: Int64(target.utf8.count),
                                                        attributes: status.attributes, linkTarget: target,
                                                        inode: status.inode, linkCount: status.linkCount))
                case .file:
                    guard filter.isIncluded(path) else { continue }
                    result.entries.append(ManifestEntry(path: path, kind: .file, size: status.size, attributes: status.attributes,
                                                        inode: status.inode, linkCount: status.linkCount,
                                                        contentHash: knownHash(path, status)))
                }
            }
        }
        result.entries.sort { $0.path < $1.path }
        return result
    }

    private func knownHash(_ path: String, _ status: FileStatus) -> [UInt8]? {
        guard let record = index[path], record.size == status.size, record.inode == status.inode,
              record.mtimeSeconds == status.attributes.mtimeSeconds,
              record.mtimeNanoseconds == Int32(status.attributes.mtimeNanoseconds),
              record.ctimeSeconds == status.ctimeSeconds, record.ctimeNanoseconds == status.ctimeNanoseconds
        else { return nil }
        return record.contentHash
    }

    private func noteReserved(name: String, directory: String, fd: Int32, into result: inout Result) throws(FileSystemError) {
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
