import Foundation
import GRDB

extension StateDatabase {
    /// Appends `event` to the log and returns the id it was given (`event.id` is ignored).
    @discardableResult
    public func appendEvent(_ event: EventRecord) throws -> Int64 {
        guard EventRecord.levels.contains(event.level) else {
            throw StateError(
                code: .invalidRecord,
                message: "event \"\(event.kind)\" has level \"\(event.level)\"; the levels are "
                    + "info, warning and error; nothing was written",
                path: path)
        }
        return try writing("append an event to") { db in
            try db.execute(
                sql: "INSERT INTO event (time, level, kind, share, message) VALUES (?, ?, ?, ?, ?)",
                arguments: [event.time.stateColumnValue, event.level, event.kind, event.share, event.message])
            return db.lastInsertedRowID
        }
    }

    /// The last `limit` events appended, newest first; only those of `share` when it is given.
    ///
    /// "Newest" is the order of appending, not of the `time` field, so a wall clock stepped
    /// backwards cannot shuffle the log.
    public func recentEvents(limit: Int, share: String? = nil) throws -> [EventRecord] {
        guard limit > 0 else { return [] }
        return try reading("read the event log from") { db in
            let columns = "SELECT id, time, level, kind, share, message FROM event"
            let rows: [Row]
            if let share {
                rows = try Row.fetchAll(
                    db, sql: "\(columns) WHERE share = ? ORDER BY id DESC LIMIT ?",
                    arguments: [share, limit])
            } else {
                rows = try Row.fetchAll(db, sql: "\(columns) ORDER BY id DESC LIMIT ?", arguments: [limit])
            }
            return rows.map { row in
                EventRecord(
                    id: row[0], time: Date(stateColumnValue: row[1]), level: row[2], kind: row[3],
                    share: row[4], message: row[5])
            }
        }
    }
}
