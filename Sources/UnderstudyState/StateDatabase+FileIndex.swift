import Foundation
import GRDB

extension StateDatabase {
    /// Every file index record of `share`, keyed by path.
    public func fileIndex(share: String) throws -> [String: FileIndexRecord] {
        try reading("read the file index of \(share) from") { db in
            var records: [String: FileIndexRecord] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT path, size, mtime_s, mtime_ns, ctime_s, ctime_ns, inode, content_hash
                    FROM file_index WHERE share = ?
                    """,
                arguments: [share])
            while let row = try rows.next() {
                let hash: Data? = row[7]
                let record = FileIndexRecord(
                    path: row[0], size: row[1],
                    mtimeSeconds: row[2], mtimeNanoseconds: row[3],
                    ctimeSeconds: row[4], ctimeNanoseconds: row[5],
                    inode: UInt64(bitPattern: row[6] as Int64),
                    contentHash: hash.map { [UInt8]($0) })
                records[record.path] = record
            }
            return records
        }
    }

    /// Inserts or updates `records` of `share`, all in one transaction.
    public func upsertFileIndex(share: String, _ records: [FileIndexRecord]) throws {
        try validate(records)
        try writing("update the file index of \(share) in") { db in
            try Self.insert(records, share: share, db)
        }
    }

    /// Removes the records of `paths` from `share`'s index, in one transaction; unknown paths are
    /// ignored.
    public func removeFromFileIndex(share: String, paths: [String]) throws {
        try writing("remove entries from the file index of \(share) in") { db in
            let statement = try db.makeStatement(sql: "DELETE FROM file_index WHERE share = ? AND path = ?")
            let signatures = try db.makeStatement(sql: "DELETE FROM file_signature WHERE share = ? AND path = ?")
            for path in paths {
                try statement.execute(arguments: [share, path])
                try signatures.execute(arguments: [share, path])
            }
        }
    }

    /// Replaces `share`'s whole index with `records` in one transaction: readers see either the old
    /// index or the new one, never a mix.
    public func replaceFileIndex(share: String, with records: [FileIndexRecord]) throws {
        try validate(records)
        try writing("replace the file index of \(share) in") { db in
            try db.execute(sql: "DELETE FROM file_index WHERE share = ?", arguments: [share])
            try Self.insert(records, share: share, db)
            try db.execute(
                sql: """
                    DELETE FROM file_signature WHERE share = ?
                    AND path NOT IN (SELECT path FROM file_index WHERE share = ?)
                    """,
                arguments: [share, share])
        }
    }

    /// Checked before the transaction so a bad record names itself instead of surfacing as an
    /// anonymous constraint failure.
    private func validate(_ records: [FileIndexRecord]) throws {
        for record in records {
            if let hash = record.contentHash, hash.count != 32 {
                throw StateError(
                    code: .invalidRecord,
                    message: "file index record for \(record.path) has a \(hash.count)-byte content "
                        + "hash; a SHA-256 hash is 32 bytes; nothing was written",
                    path: path)
            }
        }
    }

    private static func insert(_ records: [FileIndexRecord], share: String, _ db: Database) throws {
        // One prepared statement for the whole batch: parsing the SQL once is what keeps tens of
        // thousands of rows fast.
        let statement = try db.makeStatement(
            sql: """
                INSERT INTO file_index
                    (share, path, size, mtime_s, mtime_ns, ctime_s, ctime_ns, inode, content_hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (share, path) DO UPDATE SET
                    size = excluded.size,
                    mtime_s = excluded.mtime_s, mtime_ns = excluded.mtime_ns,
                    ctime_s = excluded.ctime_s, ctime_ns = excluded.ctime_ns,
                    inode = excluded.inode, content_hash = excluded.content_hash
                """)
        for record in records {
            try statement.execute(arguments: [
                share, record.path, record.size,
                record.mtimeSeconds, record.mtimeNanoseconds,
                record.ctimeSeconds, record.ctimeNanoseconds,
                Int64(bitPattern: record.inode),
                record.contentHash.map { Data($0) },
            ])
        }
    }
}
