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
    private let database: StateDatabase
    private let records: NIOLockedValueBox<[String: FileIndexRecord]>
    private let persistence: DispatchQueue
    private let logger: Logger

    public init(key: String, database: StateDatabase, logger: Logger) throws {
        self.key = key
        self.database = database
        self.logger = logger
        persistence = DispatchQueue(label: "understudy.index.\(key)")
        records = NIOLockedValueBox(try database.fileIndex(share: key))
    }

    /// Waits until every change so far is in the database.
    public func waitUntilPersisted() {
        persistence.sync {}
    }

    private func persist(_ work: @escaping @Sendable () throws -> Void) {
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
        records.withLockedValue { all in
            for index in changed.indices where changed[index].contentHash == nil {
                if let from = renamed[changed[index].path] { changed[index].contentHash = all[from]?.contentHash }
            }
            for path in removed {
                if all.removeValue(forKey: path) != nil { removedPaths.append(path) }
                let prefix = path + "/"
                for key in all.keys where key.hasPrefix(prefix) {
                    all[key] = nil
                    removedPaths.append(key)
                }
            }
            for record in changed { all[record.path] = record }
        }
        let (database, key, changedRecords, removedList) = (database, key, changed, removedPaths)
        persist {
            if !removedList.isEmpty { try database.removeFromFileIndex(share: key, paths: removedList) }
            if !changedRecords.isEmpty { try database.upsertFileIndex(share: key, changedRecords) }
        }
    }

    /// Drops records of paths the scan no longer found.
    public func retain(only present: Set<String>) {
        var gone: [String] = []
        records.withLockedValue { all in
            for key in all.keys where !present.contains(key) {
                all[key] = nil
                gone.append(key)
            }
        }
        if !gone.isEmpty {
            let (database, key, goneList) = (database, key, gone)
            persist { try database.removeFromFileIndex(share: key, paths: goneList) }
        }
    }
}
