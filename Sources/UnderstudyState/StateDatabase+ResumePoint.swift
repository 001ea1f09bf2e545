import GRDB
import UnderstudySupport
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

    /// Saves the point `share`'s replica is now durable up to; saved before the acknowledgement is sent. The points
    /// of the shares that save at the same time are committed together (`resumePoints`); this returns once a commit
    /// that began after it was called holds `point`.
    public func saveResumePoint(_ point: ResumePoint, share: String) throws {
        try resumePoints.commit((share, point))
    }

    /// Resume points saved, and the commits that saved them.
    public var resumePointFigures: GroupCommit<(share: String, point: ResumePoint), any Error>.Figures {
        resumePoints.figures
    }

    static func upsert(_ point: ResumePoint, share: String, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO resume_point (share, capture_id, sequence) VALUES (?, ?, ?)
                ON CONFLICT (share) DO UPDATE SET capture_id = excluded.capture_id, sequence = excluded.sequence
                """,
            arguments: [share, Int64(bitPattern: point.captureID), Int64(bitPattern: point.sequence)])
    }
}
