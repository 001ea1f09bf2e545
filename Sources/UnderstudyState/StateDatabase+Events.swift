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
                sql: "INSERT INTO event (time, level, kind, share, message, user) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    event.time.stateColumnValue, event.level, event.kind, event.share, event.message, event.user,
                ])
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
            let rows: [Row]
            if let share {
                rows = try Row.fetchAll(
                    db, sql: "\(Self.eventColumns) WHERE share = ? ORDER BY id DESC LIMIT ?",
                    arguments: [share, limit])
            } else {
                rows = try Row.fetchAll(db, sql: "\(Self.eventColumns) ORDER BY id DESC LIMIT ?", arguments: [limit])
            }
            return rows.map(Self.event)
        }
    }

    /// A page of the log: at most `limit` events with ids below `before` (newest first), or above `after` (oldest
    /// first, for a reader that follows the log from an id it has seen).
    public func events(before: Int64? = nil, after: Int64? = nil, limit: Int) throws -> [EventRecord] {
        guard limit > 0 else { return [] }
        return try reading("read the event log from") { db in
            let rows: [Row]
            if let after {
                rows = try Row.fetchAll(
                    db, sql: "\(Self.eventColumns) WHERE id > ? ORDER BY id ASC LIMIT ?", arguments: [after, limit])
            } else {
                rows = try Row.fetchAll(
                    db, sql: "\(Self.eventColumns) WHERE id < ? ORDER BY id DESC LIMIT ?",
                    arguments: [before ?? Int64.max, limit])
            }
            return rows.map(Self.event)
        }
    }

    private static let eventColumns = "SELECT id, time, level, kind, share, message, user FROM event"

    private static func event(_ row: Row) -> EventRecord {
        EventRecord(
            id: row[0], time: Date(stateColumnValue: row[1]), level: row[2], kind: row[3], share: row[4],
            message: row[5], user: row[6])
    }
}
