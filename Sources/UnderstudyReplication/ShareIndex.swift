import CLinux
import Dispatch
import Logging
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudyState
import UnderstudySupport

/// A share's file index: what this node last saw of each file (its `stat` and content hash), kept in the state
/// database and read from there a directory or a path at a time, so that memory does not grow with the share.
/// Changes are written behind, in order, on a queue of their own, off the sync's critical path; until written they
/// are held in memory (`PendingIndexChanges`) and every lookup sees them. The index is a cache that every use checks
/// against `stat`, so a write lost to a crash costs a re-hash later, never a wrong result.
public final class ShareIndex: FileIndexLookup, Sendable {
    public let key: String
    let database: StateDatabase
    private let pending = NIOLockedValueBox(PendingIndexChanges())
    /// The files the index lists and their bytes: this node's tree of the share as far as it knows (the replica's on
    /// a standby, the source's on the primary), as written so far; kept as writes change it, so reading it is free.
    private let totals: NIOLockedValueBox<FileIndexTotals>
    /// Where the writes run, in order (tests suspend it to hold writes back).
    let persistence: DispatchQueue
    private let logger: Logger
    /// The node's clock: how long a backlog of writes lasted.
    private let clock: any EngineClock
    /// What the queue wrote since it was last empty, and since when (monotonic seconds).
    private let backlog = NIOLockedValueBox((rows: 0, started: 0.0))
    /// Signatures served from the kept ones and made by reading (see ShareIndex+Signatures).
    let signatureUse = NIOLockedValueBox((kept: 0, made: 0))

    public init(key: String, database: StateDatabase, logger: Logger, clock: any EngineClock) throws {
        self.key = key
        self.database = database
        self.logger = logger
        self.clock = clock
        persistence = DispatchQueue(label: "understudy.index.\(key)")
        totals = NIOLockedValueBox(try database.fileIndexTotals(share: key))
    }

    /// The bytes of the files the index lists.
    public var totalBytes: Int64 { totals.withLockedValue { $0.bytes } }

    /// How many files the index lists.
    public var fileCount: Int { totals.withLockedValue { $0.files } }

    /// The bytes of those of `paths` that are files the index lists.
    public func bytes(of paths: [String]) -> Int64 {
        // The pending changes answer for what they know; the rest is read in one transaction.
        var bytes: Int64 = 0
        var unknown: [String] = []
        pending.withLockedValue { changes in
            for path in paths {
                if let known = changes.lookup(path) { bytes += known?.size ?? 0 } else { unknown.append(path) }
            }
        }
        guard !unknown.isEmpty else { return bytes }
        return bytes + (readStored("sizes") { try $0.fileIndexBytes(share: key, paths: unknown) } ?? 0)
    }

    /// Waits until every change so far is in the database.
    public func waitUntilPersisted() {
        persistence.sync {}
    }

    func persist(_ work: @escaping @Sendable () throws -> Void) {
        persistence.async { [key, logger] in
            do {
                try work()
            } catch {
                logger.warning("could not save the file index of \(key): \(error); files will be re-hashed when needed")
            }
        }
    }

    public func record(at path: String) -> FileIndexRecord? {
        if let known = pending.withLockedValue({ $0.lookup(path) }) { return known }
        return readStored("a record") { try $0.fileIndexRecord(share: key, path: path) } ?? nil
    }

    public func records(inDirectory directory: String) -> [String: FileIndexRecord] {
        // The pending changes first: a batch written meanwhile is then in both, never in neither.
        let changes = pending.withLockedValue { $0.view(of: directory) }
        let stored = readStored("a directory") { try $0.fileIndexRecords(share: key, directory: directory) } ?? []
        let records = Dictionary(stored.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        return changes.isEmpty ? records : changes.overlay(on: records)
    }

    /// The known content hash of `path` when its record still describes inode `inode`.
    public func contentHash(of path: String, inode: UInt64) -> [UInt8]? {
        guard let record = record(at: path), record.inode == inode else { return nil }
        return record.contentHash
    }

    /// A record of inode `inode` with a content hash (the file under an earlier name, for a rename), or nil.
    public func hashedRecord(inode: UInt64) -> FileIndexRecord? {
        if let record = pending.withLockedValue({ $0.hashedRecords(inode: inode).first }) { return record }
        let stored = readStored("records by inode") { try $0.fileIndexRecords(share: key, inode: inode) } ?? []
        // A stored record that a pending change replaced or removed is not the file's any more.
        return stored.first { path in pending.withLockedValue { $0.lookup(path.path) == nil } }
    }

    /// Records written or moved and paths removed (a removed directory takes what is below it).
    /// - Parameter renamed: new path → old path; a moved file keeps the content hash its old record had.
    public func apply(records changed: [FileIndexRecord], removed: [String], renamed: [String: String] = [:]) {
        guard !changed.isEmpty || !removed.isEmpty else { return }
        var changed = changed
        for index in changed.indices where changed[index].contentHash == nil {
            if let from = renamed[changed[index].path] { changed[index].contentHash = record(at: from)?.contentHash }
        }
        let batch = pending.withLockedValue { $0.add(records: changed, removed: removed) }
        let (database, key, records) = (database, key, changed)
        let queuedAt = clock.monotonicSeconds()
        persist { [self, pending, totals] in
            defer {
                let drained = pending.withLockedValue {
                    $0.written(through: batch)
                    return $0.lastBatch == batch
                }
                self.noteWritten(records.count + removed.count, queuedAt: queuedAt, drained: drained)
            }
            // In transactions of a bounded size: the node's other writes (a standby's resume point before it
            // acknowledges) wait for one of them at most, never for a million rows.
            for part in Self.parts(of: removed) {
                let change = try database.removeFromFileIndex(share: key, paths: part, andBelow: true)
                totals.withLockedValue { $0 = $0 + change }
            }
            for part in Self.parts(of: records) {
                let change = try database.upsertFileIndex(share: key, part)
                totals.withLockedValue { $0 = $0 + change }
            }
        }
    }

    /// Rows written in one transaction at most; and how many written before the queue drains make that worth a
    /// line in the log and handing the memory they held back to the system.
    static let transactionRows = 2000
    static let largeBacklog = 10_000

    /// Counts what was written since the queue was last empty; when it empties after a large backlog (a first sync,
    /// a big catch-up), says so and hands the memory the backlog held back to the system. On the queue only.
    private func noteWritten(_ rows: Int, queuedAt: Double, drained: Bool) {
        let (total, started) = backlog.withLockedValue { backlog in
            if backlog.rows == 0 { backlog.started = queuedAt }
            backlog.rows += rows
            defer { if drained { backlog.rows = 0 } }
            return (backlog.rows, backlog.started)
        }
        guard drained, total >= Self.largeBacklog else { return }
        let seconds = clock.monotonicSeconds() - started
        // Said when the writes fell behind for a while (a first sync, a big catch-up); a backlog written in stride
        // with the sync is not news.
        logger.log(
            level: seconds >= 5 ? .info : .debug,
            "file index of \(key): \(total) changes written to the state database in \(Int(seconds.rounded())) s")
        understudy_release_free_memory()
    }

    static func parts<T>(of items: [T]) -> [[T]] {
        stride(from: 0, to: items.count, by: transactionRows).map {
            Array(items[$0..<min($0 + transactionRows, items.count)])
        }
    }

    /// Drops the records of files a full scan no longer found (`present`: the paths of the files it found).
    public func retain(only present: Set<String>) {
        let (database, key) = (database, key)
        // On the queue, after every change applied before: the database then has them all.
        persist { [totals] in
            let gone = try database.fileIndexPaths(share: key, absentFrom: present)
            for part in Self.parts(of: gone) {
                let change = try database.removeFromFileIndex(share: key, paths: part)
                totals.withLockedValue { $0 = $0 + change }
            }
        }
    }

    /// The same for one slice of a sliced comparison: only the records in the directories its walk read (`directories`:
    /// those it holds and those above it) and between its bounds (nil: from the start, to the end). Paths compare byte
    /// by byte here, as `String` compares names in the normal form most file systems hold; a name at a slice's edge
    /// that compares otherwise only loses its record (the index is a cache) or keeps one a later comparison drops.
    /// The records of directories no slice found go at the end (`retain(directories:)`).
    public func retain(
        only present: Set<String>, inDirectories directories: Set<String>, after: String?, through: String?
    ) {
        let (database, key) = (database, key)
        persist { [totals] in
            let gone = try database.fileIndexPaths(
                share: key, absentFrom: present, inDirectories: Array(directories), after: after, through: through)
            for part in Self.parts(of: gone) {
                let change = try database.removeFromFileIndex(share: key, paths: part)
                totals.withLockedValue { $0 = $0 + change }
            }
        }
    }

    /// Drops the records of files in directories a sliced comparison did not find (`present`: every directory its
    /// slices found), with everything below them.
    public func retain(directories present: Set<String>) {
        let (database, key) = (database, key)
        persist { [totals] in
            let gone = try database.fileIndexDirectories(share: key, absentFrom: present)
            for part in Self.parts(of: gone) {
                let change = try database.removeFromFileIndex(share: key, paths: part, andBelow: true)
                totals.withLockedValue { $0 = $0 + change }
            }
            // The comparison's last work here: the paths its slices queued for the pruning are freed by now, and
            // the allocator would keep them.
            understudy_release_free_memory()
        }
    }

    /// Up to `count` paths of files whose size is in `sizes`, spread evenly over all of them (by directory, then path).
    public func samplePaths(sizes: ClosedRange<Int64>, count: Int) -> [String] {
        waitUntilPersisted()
        return readStored("a sample") { try $0.fileIndexPaths(share: key, sizes: sizes, spreadOver: count) } ?? []
    }

    /// A read of the database; a failure is logged and reads as nothing known (the index is a cache).
    private func readStored<T>(_ what: String, _ read: (StateDatabase) throws -> T) -> T? {
        do {
            return try read(database)
        } catch {
            logger.warning("could not read \(what) of the file index of \(key): \(error); files will be re-hashed")
            return nil
        }
    }
}
