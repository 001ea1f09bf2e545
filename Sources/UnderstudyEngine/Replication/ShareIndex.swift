import NIOConcurrencyHelpers
import UnderstudyCore

/// A share's file index, held in memory for the daemon's life and written through to the state database.
/// Loaded once; a sync reads it for the scan and writes back only what changed.
public final class ShareIndex: Sendable {
    public let key: String
    private let database: StateDatabase
    private let records: NIOLockedValueBox<[String: FileIndexRecord]>

    public init(key: String, database: StateDatabase) throws {
        self.key = key
        self.database = database
        records = NIOLockedValueBox(try database.fileIndex(share: key))
    }

    public var snapshot: [String: FileIndexRecord] { records.withLockedValue { $0 } }

    /// Records written or moved and paths removed (a removed directory takes what is below it).
    /// - Parameter renamed: new path → old path; a moved file keeps the content hash its old record had.
    public func apply(records changed: [FileIndexRecord], removed: [String], renamed: [String: String] = [:]) throws {
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
        if !removedPaths.isEmpty { try database.removeFromFileIndex(share: key, paths: removedPaths) }
        if !changed.isEmpty { try database.upsertFileIndex(share: key, changed) }
    }

    /// Drops records of paths the scan no longer found.
    public func retain(only present: Set<String>) throws {
        var gone: [String] = []
        records.withLockedValue { all in
            for key in all.keys where !present.contains(key) {
                all[key] = nil
                gone.append(key)
            }
        }
        if !gone.isEmpty { try database.removeFromFileIndex(share: key, paths: gone) }
    }
}
