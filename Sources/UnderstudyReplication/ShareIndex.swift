import Dispatch
import Logging
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudyState

/// A share's file index, held in memory for the daemon's life and written behind to the state database.
/// Loaded once; a sync reads it for the scan and writes back only what changed. The database writes run in
/// order on a queue of their own, off the sync's critical path: the index is a cache that every use checks
/// against `stat`, so a write lost to a crash costs a re-hash later, never a wrong result.
public final class ShareIndex: Sendable {
    public let key: String
    let database: StateDatabase
    private let records: NIOLockedValueBox<[String: FileIndexRecord]>
    /// The bytes of the files the index lists: this node's tree of the share as far as it knows (the replica's size on
    /// a standby, the source's on the primary), kept as records change so that reading it costs nothing.
    private let bytes: NIOLockedValueBox<Int64>
    private let persistence: DispatchQueue
    private let logger: Logger
    /// Signatures served from the kept ones and made by reading (see ShareIndex+Signatures).
    let signatureUse = NIOLockedValueBox((kept: 0, made: 0))

    public init(key: String, database: StateDatabase, logger: Logger) throws {
        self.key = key
        self.database = database
        self.logger = logger
        persistence = DispatchQueue(label: "understudy.index.\(key)")
        let loaded = try database.fileIndex(share: key)
        records = NIOLockedValueBox(loaded)
        bytes = NIOLockedValueBox(loaded.values.reduce(0) { $0 + $1.size })
    }

    /// The bytes of the files the index lists.
    public var totalBytes: Int64 { bytes.withLockedValue { $0 } }

    /// The bytes of those of `paths` that are files the index lists.
    public func bytes(of paths: [String]) -> Int64 {
        records.withLockedValue { all in paths.reduce(0) { $0 + (all[$1]?.size ?? 0) } }
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

    public var snapshot: [String: FileIndexRecord] { records.withLockedValue { $0 } }

    /// The known content hash of `path` when its record still describes inode `inode`.
    public func contentHash(of path: String, inode: UInt64) -> [UInt8]? {
        records.withLockedValue { all in
            guard let record = all[path], record.inode == inode else { return nil }
            return record.contentHash
        }
    }

    /// Records written or moved and paths removed (a removed directory takes what is below it).
    /// - Parameter renamed: new path → old path; a moved file keeps the content hash its old record had.
    public func apply(records changed: [FileIndexRecord], removed: [String], renamed: [String: String] = [:]) {
        var removedPaths: [String] = []
        var changed = changed
        var delta: Int64 = 0
        records.withLockedValue { all in
            for index in changed.indices where changed[index].contentHash == nil {
                if let from = renamed[changed[index].path] { changed[index].contentHash = all[from]?.contentHash }
            }
            for path in removed {
                if let gone = all.removeValue(forKey: path) {
                    removedPaths.append(path)
                    delta -= gone.size
                }
                let prefix = path + "/"
                for key in all.keys where key.hasPrefix(prefix) {
                    delta -= all[key]?.size ?? 0
                    all[key] = nil
                    removedPaths.append(key)
                }
            }
            for record in changed {
                delta += record.size - (all[record.path]?.size ?? 0)
                all[record.path] = record
            }
        }
        bytes.withLockedValue { $0 += delta }
        let (database, key, changedRecords, removedList) = (database, key, changed, removedPaths)
        persist {
            if !removedList.isEmpty { try database.removeFromFileIndex(share: key, paths: removedList) }
            if !changedRecords.isEmpty { try database.upsertFileIndex(share: key, changedRecords) }
        }
    }

    /// Drops records of paths the scan no longer found.
    public func retain(only present: Set<String>) {
        var gone: [String] = []
        var delta: Int64 = 0
        records.withLockedValue { all in
            for key in all.keys where !present.contains(key) {
                delta -= all[key]?.size ?? 0
                all[key] = nil
                gone.append(key)
            }
        }
        bytes.withLockedValue { $0 += delta }
        if !gone.isEmpty {
            let (database, key, goneList) = (database, key, gone)
            persist { try database.removeFromFileIndex(share: key, paths: goneList) }
        }
    }
}
