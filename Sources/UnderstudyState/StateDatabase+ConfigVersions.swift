import Foundation
import GRDB
import UnderstudyCore

extension StateDatabase {
    /// How many versions of one tracked file are kept (the oldest go first).
    public static let configVersionsKept = 100

    /// Records a new version of `path` in `group` on the node that tracks it: the next version of the path and the
    /// next of the group's sequence. Returns it.
    @discardableResult
    public func recordConfigVersion(
        group: String, path: String, takenAt: Double, content: [UInt8]?, digest: String, note: String? = nil
    ) throws -> ConfigVersion {
        try writing("record a version of \(path) of group \(group) in") { db in
            let version =
                (try Int.fetchOne(
                    db, sql: "SELECT max(version) FROM config_version WHERE grp = ? AND path = ?",
                    arguments: [group, path]) ?? 0) + 1
            let sequence =
                (try Int.fetchOne(db, sql: "SELECT max(seq) FROM config_version WHERE grp = ?", arguments: [group])
                    ?? 0) + 1
            let record = ConfigVersion(
                group: group, path: path, version: version, sequence: sequence, takenAt: takenAt, content: content,
                digest: digest, note: note)
            try db.execute(
                sql: "INSERT OR IGNORE INTO config_history (grp, id) VALUES (?, ?)",
                arguments: [group, UUID().uuidString.lowercased()])
            try Self.insert(record, db)
            try Self.prune(group: group, path: path, db)
            return record
        }
    }

    /// Stores versions a peer tracked of `group`'s history `history` (by their sequence; one already held is left as
    /// it is). `replacing`: the copy held of another history goes first, in the same transaction. Returns how many
    /// were new.
    @discardableResult
    public func takeConfigVersions(
        _ versions: [ConfigVersion], group: String, history: String, replacing: Bool = false
    ) throws -> Int {
        try writing("store tracked configuration versions in") { db in
            if replacing {
                try db.execute(sql: "DELETE FROM config_version WHERE grp = ?", arguments: [group])
            }
            try db.execute(
                sql:
                    "INSERT INTO config_history (grp, id) VALUES (?, ?) ON CONFLICT (grp) DO UPDATE SET id = excluded.id",
                arguments: [group, history])
            var taken = 0
            for version in versions where version.group == group {
                let held =
                    try Bool.fetchOne(
                        db,
                        sql: "SELECT 1 FROM config_version WHERE grp = ? AND (seq = ? OR (path = ? AND version = ?))",
                        arguments: [version.group, version.sequence, version.path, version.version]) ?? false
                guard !held else { continue }
                try Self.insert(version, db)
                try Self.prune(group: version.group, path: version.path, db)
                taken += 1
            }
            return taken
        }
    }

    /// The id of `group`'s history this node holds (its own, or the copy's), nil before any version.
    public func configHistoryID(group: String) throws -> String? {
        try reading("read the tracked configuration from") { db in
            try String.fetchOne(db, sql: "SELECT id FROM config_history WHERE grp = ?", arguments: [group])
        }
    }

    /// The newest version of each tracked path of `group`, by path.
    public func latestConfigVersions(group: String) throws -> [ConfigVersion] {
        try reading("read the tracked configuration from") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM config_version AS v WHERE grp = ? AND version =
                        (SELECT max(version) FROM config_version WHERE grp = v.grp AND path = v.path)
                    ORDER BY path
                    """, arguments: [group]
            ).map(Self.version)
        }
    }

    /// The versions of `group` (of `path` only when given), newest first, at most `limit`, without content.
    public func configHistory(group: String, path: String?, limit: Int) throws -> [ConfigVersionSummary] {
        try reading("read the tracked configuration's history from") { db in
            let rows: [Row]
            if let path {
                rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM config_version WHERE grp = ? AND path = ? ORDER BY seq DESC LIMIT ?",
                    arguments: [group, path, limit])
            } else {
                rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM config_version WHERE grp = ? ORDER BY seq DESC LIMIT ?",
                    arguments: [group, limit])
            }
            return rows.map { Self.version($0).summary }
        }
    }

    /// One version of `path` in `group`, with its content; nil when not kept.
    public func configVersion(group: String, path: String, version: Int) throws -> ConfigVersion? {
        try reading("read a tracked configuration version from") { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM config_version WHERE grp = ? AND path = ? AND version = ?",
                arguments: [group, path, version]
            ).map(Self.version)
        }
    }

    /// The versions of `group` after `sequence`, oldest first, up to about `byteLimit` bytes of content (always at
    /// least one), and the group's highest sequence.
    public func configVersions(
        group: String, after sequence: Int, byteLimit: Int
    ) throws -> (versions: [ConfigVersion], highest: Int) {
        try reading("read the tracked configuration from") { db in
            let highest =
                try Int.fetchOne(db, sql: "SELECT max(seq) FROM config_version WHERE grp = ?", arguments: [group])
                ?? 0
            var versions: [ConfigVersion] = []
            var bytes = 0
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT * FROM config_version WHERE grp = ? AND seq > ? ORDER BY seq",
                arguments: [group, sequence])
            while let row = try cursor.next() {
                let version = Self.version(row)
                if !versions.isEmpty && bytes + version.size > byteLimit { break }
                bytes += version.size
                versions.append(version)
            }
            return (versions, highest)
        }
    }

    /// The highest sequence of `group` this node holds (0: none).
    public func lastConfigSequence(group: String) throws -> Int {
        try reading("read the tracked configuration from") { db in
            try Int.fetchOne(db, sql: "SELECT max(seq) FROM config_version WHERE grp = ?", arguments: [group]) ?? 0
        }
    }

    private static func insert(_ version: ConfigVersion, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO config_version (grp, seq, path, version, taken_at, content, digest, note)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                version.group, version.sequence, version.path, version.version, version.takenAt,
                version.content.map { Data($0) }, version.digest, version.note,
            ])
    }

    private static func prune(group: String, path: String, _ db: Database) throws {
        try db.execute(
            sql: """
                DELETE FROM config_version WHERE grp = ? AND path = ? AND version <=
                    (SELECT max(version) FROM config_version WHERE grp = ? AND path = ?) - ?
                """,
            arguments: [group, path, group, path, configVersionsKept])
    }

    private static func version(_ row: Row) -> ConfigVersion {
        let content: Data? = row["content"]
        return ConfigVersion(
            group: row["grp"], path: row["path"], version: row["version"], sequence: row["seq"],
            takenAt: row["taken_at"], content: content.map { [UInt8]($0) }, digest: row["digest"], note: row["note"])
    }
}
