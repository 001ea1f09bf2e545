import Foundation
import GRDB
import UnderstudyCore

/// A prior version of a replica file, as the history keeps it.
public struct HistoryRecord: Sendable, Equatable {
    public var id: Int64 = 0
    /// "group/share".
    public var share: String
    public var path: String
    public var since: Double?
    public var until: Double
    public var reason: String
    public var size: Int64
    public var mtime: Double
    public var hash: [UInt8]?
    /// The kept copy's name under the history directory; nil for a 'moved-in' marker.
    public var stored: String?

    public init(
        id: Int64 = 0, share: String, path: String, since: Double?, until: Double, reason: String, size: Int64,
        mtime: Double, hash: [UInt8]?, stored: String?
    ) {
        self.id = id
        self.share = share
        self.path = path
        self.since = since
        self.until = until
        self.reason = reason
        self.size = size
        self.mtime = mtime
        self.hash = hash
        self.stored = stored
    }
}

extension StateDatabase {
    // MARK: Archive catalog

    public func saveArchive(_ archive: ArchiveInfo) throws {
        let key = "\(archive.group)/\(archive.share)"
        try writing("record archive \(archive.id) of \(key) in") { db in
            try db.execute(
                sql: """
                    INSERT INTO archive (share, id, series, taken_at, seconds, files, bytes, state, method, paths, error)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (share, id) DO UPDATE SET seconds = excluded.seconds, files = excluded.files, bytes = excluded.bytes,
                        state = excluded.state, method = excluded.method, error = excluded.error
                    """,
                arguments: [
                    key, archive.id, archive.series, archive.takenAt.timeIntervalSince1970, archive.seconds,
                    archive.files,
                    archive.bytes, archive.state.rawValue, archive.method, archive.paths.joined(separator: "\n"),
                    archive.error,
                ])
        }
    }

    public func deleteArchive(share key: String, id: String) throws {
        try writing("remove archive \(id) of \(key) from") { db in
            try db.execute(sql: "DELETE FROM archive WHERE share = ? AND id = ?", arguments: [key, id])
        }
    }

    /// Archives of `key` ("group/share"), oldest first.
    public func archives(share key: String) throws -> [ArchiveInfo] {
        try reading("read the archives of \(key) from") { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, series, taken_at, seconds, files, bytes, state, method, paths, error FROM archive
                    WHERE share = ? ORDER BY taken_at, id
                    """, arguments: [key])
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            return rows.map { row in
                let paths: String = row[8]
                return ArchiveInfo(
                    id: row[0], group: parts.first ?? key, share: parts.count > 1 ? parts[1] : "", series: row[1],
                    takenAt: Date(timeIntervalSince1970: row[2]), seconds: row[3], files: row[4], bytes: row[5],
                    state: ArchiveInfo.State(rawValue: row[6]) ?? .failed, method: row[7],
                    paths: paths.isEmpty ? [] : paths.split(separator: "\n").map(String.init), error: row[9])
            }
        }
    }

    // MARK: File history

    /// Inserts kept versions in one transaction (after the replica batch that replaced them is durable).
    public func insertHistory(_ records: [HistoryRecord]) throws {
        guard !records.isEmpty else { return }
        try writing("record \(records.count) kept versions in") { db in
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO file_history (share, path, since, until, reason, size, mtime, hash, stored) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for record in records {
                try statement.execute(arguments: [
                    record.share, record.path, record.since, record.until, record.reason, record.size,
                    record.mtime, record.hash.map { Data($0) }, record.stored,
                ])
            }
        }
    }

    /// Versions of `path` (and, with `below`, of every path under it), oldest first.
    public func history(share key: String, path: String, below: Bool = false) throws -> [HistoryRecord] {
        try reading("read the history of \(key)/\(path) from") { db in
            let columns = "SELECT id, share, path, since, until, reason, size, mtime, hash, stored FROM file_history"
            let rows: [Row]
            if below && !path.isEmpty {
                rows = try Row.fetchAll(
                    db, sql: "\(columns) WHERE share = ? AND (path = ? OR (path >= ? AND path < ?)) ORDER BY until, id",
                    arguments: [key, path, path + "/", path + "0"])
            } else if below {
                rows = try Row.fetchAll(db, sql: "\(columns) WHERE share = ? ORDER BY until, id", arguments: [key])
            } else {
                rows = try Row.fetchAll(
                    db, sql: "\(columns) WHERE share = ? AND path = ? ORDER BY until, id", arguments: [key, path])
            }
            return rows.map(Self.historyRecord)
        }
    }

    /// Removes up to `limit` records of `key` that ended before `cutoff`; returns them (their stored copies are the
    /// caller's to delete, after this commit: a crash in between leaves an orphan file, swept at start).
    public func expireHistory(share key: String, endedBefore cutoff: Double, limit: Int) throws -> [HistoryRecord] {
        try writing("expire old versions of \(key) in") { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, share, path, since, until, reason, size, mtime, hash, stored FROM file_history
                    WHERE share = ? AND until < ? ORDER BY until LIMIT ?
                    """, arguments: [key, cutoff, limit])
            let records = rows.map(Self.historyRecord)
            for record in records {
                try db.execute(sql: "DELETE FROM file_history WHERE id = ?", arguments: [record.id])
            }
            return records
        }
    }

    /// Every stored name of `key`'s history (the start-up sweep compares them with the directory).
    public func historyStoredNames(share key: String) throws -> Set<String> {
        try reading("read the history of \(key) from") { db in
            Set(
                try String.fetchAll(
                    db, sql: "SELECT stored FROM file_history WHERE share = ? AND stored IS NOT NULL", arguments: [key])
            )
        }
    }

    public func historyTotals(share key: String) throws -> (versions: Int64, bytes: Int64) {
        try reading("count the history of \(key) in") { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT count(*), coalesce(sum(size), 0) FROM file_history WHERE share = ? AND stored IS NOT NULL
                    """, arguments: [key])
            return (row?[0] ?? 0, row?[1] ?? 0)
        }
    }

    /// When history was turned on for `key` (recorded the first time it is asked with `orNow`).
    public func historyStart(share key: String, orNow now: Double?) throws -> Double? {
        if let now {
            return try writing("record the start of history of \(key) in") { db in
                try db.execute(
                    sql: "INSERT INTO history_start (share, started_at) VALUES (?, ?) ON CONFLICT (share) DO NOTHING",
                    arguments: [key, now])
                return try Double.fetchOne(
                    db, sql: "SELECT started_at FROM history_start WHERE share = ?", arguments: [key])
            }
        }
        return try reading("read the start of history of \(key) from") { db in
            try Double.fetchOne(db, sql: "SELECT started_at FROM history_start WHERE share = ?", arguments: [key])
        }
    }

    public func forgetHistoryStart(share key: String) throws {
        try writing("forget the start of history of \(key) in") { db in
            try db.execute(sql: "DELETE FROM history_start WHERE share = ?", arguments: [key])
        }
    }

    private static func historyRecord(_ row: Row) -> HistoryRecord {
        let hash: Data? = row[8]
        return HistoryRecord(
            id: row[0], share: row[1], path: row[2], since: row[3], until: row[4], reason: row[5], size: row[6],
            mtime: row[7], hash: hash.map { Array($0) }, stored: row[9])
    }
}
