import Foundation
import GRDB
import UnderstudyCore

extension StateDatabase {
    /// Stores the base of `epoch` for a share (older bases of the share are dropped: only the newest is compared).
    public func saveRejoinBase(share key: String, epoch: UInt64, files: Int, manifest: [UInt8], at time: Double) throws
    {
        try writing("store the rejoin base of \(key) in") { db in
            try db.execute(
                sql: "DELETE FROM rejoin_base WHERE share = ? AND epoch <> ?",
                arguments: [key, Int64(bitPattern: epoch)])
            try db.execute(
                sql:
                    "INSERT OR REPLACE INTO rejoin_base (share, epoch, recorded_at, files, manifest) VALUES (?, ?, ?, ?, ?)",
                arguments: [key, Int64(bitPattern: epoch), time, files, Data(manifest)])
        }
    }

    public func rejoinBase(share key: String, epoch: UInt64) throws -> [UInt8]? {
        try reading("read the rejoin base of \(key) from") { db in
            try Data.fetchOne(
                db, sql: "SELECT manifest FROM rejoin_base WHERE share = ? AND epoch = ?",
                arguments: [key, Int64(bitPattern: epoch)]
            ).map { [UInt8]($0) }
        }
    }

    public func rejoinDone(share key: String) throws -> UInt64? {
        try reading("read the rejoin state of \(key) from") { db in
            try Int64.fetchOne(db, sql: "SELECT epoch FROM rejoin_done WHERE share = ?", arguments: [key]).map {
                UInt64(bitPattern: $0)
            }
        }
    }

    public func markRejoinDone(share key: String, epoch: UInt64) throws {
        try writing("store the rejoin state of \(key) in") { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO rejoin_done (share, epoch) VALUES (?, ?)",
                arguments: [key, Int64(bitPattern: epoch)])
        }
    }

    /// Records a conflict (once per copy).
    public func recordConflict(_ conflict: ConflictInfo) throws {
        try writing("record a conflict of \(conflict.share) in") { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO conflict (share, path, copy, node, reason, found_at, copy_size, copy_mtime)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    conflict.share, conflict.path, conflict.copy, conflict.node, conflict.reason,
                    conflict.foundAt.timeIntervalSince1970, conflict.copySize,
                    conflict.copyModified.timeIntervalSince1970,
                ])
        }
    }

    /// Conflicts of shares starting with `prefix` ("group/" or "group/share"), open ones only unless `all`.
    public func conflicts(prefix: String = "", all: Bool = false) throws -> [ConflictInfo] {
        try reading("read conflicts from") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, share, path, copy, node, reason, found_at, copy_size, copy_mtime, resolved FROM conflict
                    WHERE substr(share, 1, length(?)) = ? \(all ? "" : "AND resolved IS NULL") ORDER BY share, path, id
                    """, arguments: [prefix, prefix]
            ).map { row in
                ConflictInfo(
                    id: row[0], share: row[1], path: row[2], copy: row[3], node: row[4], reason: row[5],
                    foundAt: Date(timeIntervalSince1970: row[6]), copySize: row[7],
                    copyModified: Date(timeIntervalSince1970: row[8]),
                    resolved: row[9])
            }
        }
    }

    public func resolveConflict(id: Int64, as keep: String) throws {
        try writing("resolve a conflict in") { db in
            try db.execute(sql: "UPDATE conflict SET resolved = ? WHERE id = ?", arguments: [keep, id])
        }
    }
}
