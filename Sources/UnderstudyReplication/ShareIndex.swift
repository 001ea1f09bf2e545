import Dispatch
import Logging
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudyState

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
    /// Signatures served from the kept ones and made by reading (see ShareIndex+Signatures).
    let signatureUse = NIOLockedValueBox((kept: 0, made: 0))

    public init(key: String, database: StateDatabase, logger: Logger) throws {
        self.key = key
        self.database = database
        self.logger = logger
        persistence = DispatchQueue(label: "understudy.index.\(key)")
        totals = NIOLockedValueBox(try database.fileIndexTotals(share: key))
    }

    /// The bytes of the files the index lists.
    public var totalBytes: Int64 { totals.withLockedValue { $0.bytes } }

    /// How many files the index lists.
    public var fileCount: Int { totals.withLockedValue { $0.files } }

    /// The bytes of those of `paths` that are files the index lists.
    public func bytes(of paths: [String]) -> Int64 {
        paths.reduce(0) { $0 + (record(at: $1)?.size ?? 0) }
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
        let changes = pending.withLockedValue { $0 }
        let stored = readStored("a directory") { try $0.fileIndexRecords(share: key, directory: directory) } ?? []
        let records = Dictionary(stored.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        return changes.isEmpty ? records : changes.overlay(directory: directory, on: records)
    }

    /// The known content hash of `path` when its record still describes inode `inode`.
    public func contentHash(of path: String, inode: UInt64) -> [UInt8]? {
        guard let record = record(at: path), record.inode == inode else { return nil }
        return record.contentHash
    }

    /// A record of inode `inode` with a content hash (the file under an earlier name, for a rename), or nil.
    public func hashedRecord(inode: UInt64) -> FileIndexRecord? {
        let changes = pending.withLockedValue { $0 }
        if let record = changes.hashedRecords(inode: inode).first { return record }
        let stored = readStored("records by inode") { try $0.fileIndexRecords(share: key, inode: inode) } ?? []
        return stored.first { changes.lookup($0.path) == nil }
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
        persist { [pending, totals] in
            defer { pending.withLockedValue { $0.written(through: batch) } }
            var change = FileIndexTotals()
            if !removed.isEmpty {
                change = try database.removeFromFileIndex(share: key, paths: removed, andBelow: true)
            }
            if !records.isEmpty { change = change + (try database.upsertFileIndex(share: key, records)) }
            totals.withLockedValue { $0 = $0 + change }
        }
    }

    /// Drops the records of files a full scan no longer found (`present`: the paths of the files it found).
    public func retain(only present: Set<String>) {
        let (database, key) = (database, key)
        // On the queue, after every change applied before: the database then has them all.
        persist { [totals] in
            let gone = try database.fileIndexPaths(share: key, absentFrom: present)
            guard !gone.isEmpty else { return }
            let change = try database.removeFromFileIndex(share: key, paths: gone)
            totals.withLockedValue { $0 = $0 + change }
        }
    }

    /// Up to `count` paths of files whose size is in `sizes`, spread evenly over all of them in path order.
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
