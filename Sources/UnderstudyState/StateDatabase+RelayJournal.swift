import Foundation
import GRDB
import UnderstudyCore

extension StateDatabase {
    /// A share's relay journal as kept: its run, its last sequence and its entries (`capturedAt` in wall-clock
    /// seconds since 1970), or nil when none was kept.
    public func loadRelayJournal(
        share: String
    ) throws -> (
        captureID: UInt64, sequence: UInt64, entries: [String: ChangeJournal.Entry]
    )? {
        try reading("read the relay journal of \(share) from") { db in
            guard
                let head = try Row.fetchOne(
                    db, sql: "SELECT capture_id, sequence FROM relay_capture WHERE share = ?", arguments: [share])
            else { return nil }
            var entries: [String: ChangeJournal.Entry] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT path, recursive, sequence, captured_at FROM relay_journal WHERE share = ?",
                arguments: [share])
            while let row = try rows.next() {
                entries[row[0]] = ChangeJournal.Entry(
                    recursive: (row[1] as Int64) != 0, sequence: UInt64(bitPattern: row[2] as Int64),
                    capturedAt: row[3])
            }
            return (UInt64(bitPattern: head[0] as Int64), UInt64(bitPattern: head[1] as Int64), entries)
        }
    }

    /// Writes what changed in a share's relay journal, in one transaction: its run and sequence, the entries
    /// recorded or changed (`capturedAt` in wall-clock seconds), and the paths acknowledged or coarsened away.
    /// `replacing`: the whole journal is `entries` (a new run, or one rewritten after coarsening).
    public func saveRelayJournal(
        share: String, captureID: UInt64, sequence: UInt64, entries: [String: ChangeJournal.Entry],
        removed: [String], replacing: Bool = false
    ) throws {
        try writing("save the relay journal of \(share) in") { db in
            try db.execute(
                sql: """
                    INSERT INTO relay_capture (share, capture_id, sequence) VALUES (?, ?, ?)
                    ON CONFLICT (share) DO UPDATE SET capture_id = excluded.capture_id, sequence = excluded.sequence
                    """,
                arguments: [share, Int64(bitPattern: captureID), Int64(bitPattern: sequence)])
            if replacing {
                try db.execute(sql: "DELETE FROM relay_journal WHERE share = ?", arguments: [share])
            } else {
                let remove = try db.makeStatement(sql: "DELETE FROM relay_journal WHERE share = ? AND path = ?")
                for path in removed { try remove.execute(arguments: [share, path]) }
            }
            let upsert = try db.makeStatement(
                sql: """
                    INSERT INTO relay_journal (share, path, recursive, sequence, captured_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (share, path) DO UPDATE SET recursive = excluded.recursive,
                        sequence = excluded.sequence, captured_at = excluded.captured_at
                    """)
            for (path, entry) in entries {
                try upsert.execute(arguments: [
                    share, path, entry.recursive ? 1 : 0, Int64(bitPattern: entry.sequence), entry.capturedAt,
                ])
            }
        }
    }
}
