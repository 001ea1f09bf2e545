import GRDB
import UnderstudyWire

extension StateDatabase {
    /// The point of the primary's change journal that the replica of `share` is durable up to, if any.
    public func loadResumePoint(share: String) throws -> ResumePoint? {
        try reading("read the resume point of \(share) from") { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT capture_id, sequence FROM resume_point WHERE share = ?",
                    arguments: [share])
            else { return nil }
            return ResumePoint(
                captureID: UInt64(bitPattern: row[0] as Int64), sequence: UInt64(bitPattern: row[1] as Int64))
        }
    }

    /// Saves the point `share`'s replica is now durable up to; saved before the acknowledgement is sent.
    public func saveResumePoint(_ point: ResumePoint, share: String) throws {
        try writing("save the resume point of \(share) in") { db in
            try db.execute(
                sql: """
                    INSERT INTO resume_point (share, capture_id, sequence) VALUES (?, ?, ?)
                    ON CONFLICT (share) DO UPDATE SET capture_id = excluded.capture_id, sequence = excluded.sequence
                    """,
                arguments: [share, Int64(bitPattern: point.captureID), Int64(bitPattern: point.sequence)])
        }
    }
}
