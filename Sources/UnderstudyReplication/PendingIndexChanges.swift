import UnderstudyState

/// The changes a `ShareIndex` has taken and not yet written to the state database, numbered in batches as they were
/// applied: a lookup reads them before the database, so it sees every change already applied. A batch leaves once
/// the database holds it (batches are written in order, one after another).
struct PendingIndexChanges: Sendable {
    /// What is known of a path: its record, or nil when it was removed.
    struct Entry: Sendable {
        var batch: Int
        var record: FileIndexRecord?
    }

    private(set) var lastBatch = 0
    private var writtenThrough = 0
    /// Pending entries by directory, then by path.
    private var byDirectory: [String: [String: Entry]] = [:]
    /// The paths each batch not yet written touched: what its writing lets go, at the cost of that batch only.
    private var pathsOfBatch: [Int: [String]] = [:]
    /// Removed paths whose whole tree is gone (a removed directory), in the order removed.
    private var removedTrees: [(batch: Int, path: String)] = []

    /// Takes a batch: `removed` paths (each with everything below it), then `records`. Returns the batch's number.
    mutating func add(records: [FileIndexRecord], removed: [String]) -> Int {
        lastBatch += 1
        for path in removed {
            let prefix = path + "/"
            for directory in byDirectory.keys where path.isEmpty || directory == path || directory.hasPrefix(prefix) {
                byDirectory[directory] = nil
            }
            byDirectory[FileIndexRecord.directory(of: path), default: [:]][path] = Entry(batch: lastBatch, record: nil)
            removedTrees.append((lastBatch, path))
        }
        for record in records {
            byDirectory[record.directory, default: [:]][record.path] = Entry(batch: lastBatch, record: record)
        }
        pathsOfBatch[lastBatch] = removed + records.map(\.path)
        return lastBatch
    }

    /// Forgets the batches up to `batch`: the database holds them now.
    mutating func written(through batch: Int) {
        guard batch > writtenThrough else { return }
        for number in (writtenThrough + 1)...batch {
            for path in pathsOfBatch.removeValue(forKey: number) ?? [] {
                let directory = FileIndexRecord.directory(of: path)
                // A later batch's entry for the path stays until that batch is written.
                guard byDirectory[directory]?[path]?.batch == number else { continue }
                byDirectory[directory]?[path] = nil
                if byDirectory[directory]?.isEmpty == true { byDirectory[directory] = nil }
            }
        }
        if let kept = removedTrees.firstIndex(where: { $0.batch > batch }) {
            removedTrees.removeFirst(kept)
        } else {
            removedTrees.removeAll()
        }
        writtenThrough = batch
    }

    /// What the pending changes say of `path`: `.some(record)` or `.some(nil)` (removed) when they know it, nil when
    /// the database has the answer.
    func lookup(_ path: String) -> FileIndexRecord?? {
        if let entry = byDirectory[FileIndexRecord.directory(of: path)]?[path] { return .some(entry.record) }
        if removedTrees.contains(where: { Self.isBelow(path, $0.path) }) { return .some(nil) }
        return nil
    }

    /// What the pending changes say of the files in `directory`, to lay over the database's records of them.
    func view(of directory: String) -> DirectoryView {
        DirectoryView(
            entries: byDirectory[directory] ?? [:],
            treeGone: removedTrees.contains { directory == $0.path || Self.isBelow(directory, $0.path) })
    }

    /// The pending changes of one directory.
    struct DirectoryView: Sendable {
        var entries: [String: Entry]
        /// The directory, or one above it, was removed: the database's records of it are outdated.
        var treeGone: Bool

        var isEmpty: Bool { entries.isEmpty && !treeGone }

        /// `stored` (the database's records of the directory's files) with the pending changes laid over it.
        func overlay(on stored: [String: FileIndexRecord]) -> [String: FileIndexRecord] {
            var records = treeGone ? [:] : stored
            for (path, entry) in entries { records[path] = entry.record }
            return records
        }
    }

    /// The pending records of inode `inode` that hold a content hash.
    func hashedRecords(inode: UInt64) -> [FileIndexRecord] {
        byDirectory.values.flatMap { entries in
            entries.values.compactMap { entry in
                guard let record = entry.record, record.inode == inode, record.contentHash != nil else { return nil }
                return record
            }
        }
    }

    private static func isBelow(_ path: String, _ tree: String) -> Bool {
        tree.isEmpty ? !path.isEmpty : path.hasPrefix(tree + "/")
    }
}
