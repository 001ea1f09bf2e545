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
    /// Pending entries by directory, then by path.
    private var byDirectory: [String: [String: Entry]] = [:]
    /// Removed paths whose whole tree is gone (a removed directory), in the order removed.
    private var removedTrees: [(batch: Int, path: String)] = []

    var isEmpty: Bool { byDirectory.isEmpty && removedTrees.isEmpty }

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
        return lastBatch
    }

    /// Forgets the batches up to `batch`: the database holds them now.
    mutating func written(through batch: Int) {
        for (directory, entries) in byDirectory {
            let left = entries.filter { $0.value.batch > batch }
            byDirectory[directory] = left.isEmpty ? nil : left
        }
        removedTrees.removeAll { $0.batch <= batch }
    }

    /// What the pending changes say of `path`: `.some(record)` or `.some(nil)` (removed) when they know it, nil when
    /// the database has the answer.
    func lookup(_ path: String) -> FileIndexRecord?? {
        if let entry = byDirectory[FileIndexRecord.directory(of: path)]?[path] { return .some(entry.record) }
        if removedTrees.contains(where: { Self.isBelow(path, $0.path) }) { return .some(nil) }
        return nil
    }

    /// `stored` (the database's records of the files in `directory`) with the pending changes laid over it.
    func overlay(directory: String, on stored: [String: FileIndexRecord]) -> [String: FileIndexRecord] {
        let treeGone = removedTrees.contains { directory == $0.path || Self.isBelow(directory, $0.path) }
        var records = treeGone ? [:] : stored
        for (path, entry) in byDirectory[directory] ?? [:] { records[path] = entry.record }
        return records
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
