import Foundation
import GRDB

extension StateDatabase {
    static let fileIndexColumns = "path, size, mtime_s, mtime_ns, ctime_s, ctime_ns, inode, content_hash"

    /// Every file index record of `share`, keyed by path: the whole index in memory, for tests and diagnostics; the
    /// daemon reads it a directory or a path at a time.
    public func fileIndex(share: String) throws -> [String: FileIndexRecord] {
        try reading("read the file index of \(share) from") { db in
            var records: [String: FileIndexRecord] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT \(Self.fileIndexColumns) FROM file_index WHERE share = ?", arguments: [share])
            while let row = try rows.next() {
                let record = Self.fileIndexRecord(row)
                records[record.path] = record
            }
            return records
        }
    }

    /// The record of `path`, or nil.
    public func fileIndexRecord(share: String, path: String) throws -> FileIndexRecord? {
        try reading("read the file index of \(share) from") { db in
            try Row.fetchOne(
                db,
                sql: "SELECT \(Self.fileIndexColumns) FROM file_index WHERE share = ? AND directory = ? AND path = ?",
                arguments: [share, FileIndexRecord.directory(of: path), path]
            ).map(Self.fileIndexRecord)
        }
    }

    /// The records of the files directly inside `directory` ("" for the share's root).
    public func fileIndexRecords(share: String, directory: String) throws -> [FileIndexRecord] {
        try reading("read the file index of \(share) from") { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.fileIndexColumns) FROM file_index WHERE share = ? AND directory = ?",
                arguments: [share, directory]
            ).map(Self.fileIndexRecord)
        }
    }

    /// The records that name inode `inode` and hold a content hash.
    public func fileIndexRecords(share: String, inode: UInt64) throws -> [FileIndexRecord] {
        try reading("read the file index of \(share) from") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.fileIndexColumns) FROM file_index INDEXED BY file_index_by_inode
                    WHERE share = ? AND inode = ? AND content_hash IS NOT NULL
                    """,
                arguments: [share, Int64(bitPattern: inode)]
            ).map(Self.fileIndexRecord)
        }
    }

    /// The bytes of those of `paths` that the index lists, read in one transaction.
    public func fileIndexBytes(share: String, paths: [String]) throws -> Int64 {
        try reading("read the file index of \(share) from") { db in
            let statement = try db.makeStatement(
                sql: "SELECT size FROM file_index WHERE share = ? AND directory = ? AND path = ?")
            var bytes: Int64 = 0
            for path in paths {
                bytes +=
                    try Int64.fetchOne(statement, arguments: [share, FileIndexRecord.directory(of: path), path]) ?? 0
            }
            return bytes
        }
    }

    /// How many files `share`'s index lists, and their bytes.
    public func fileIndexTotals(share: String) throws -> FileIndexTotals {
        try reading("count the file index of \(share) in") { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT count(*), coalesce(sum(size), 0) FROM file_index WHERE share = ?", arguments: [share])
            return FileIndexTotals(files: row?[0] ?? 0, bytes: row?[1] ?? 0)
        }
    }

    /// Up to `limit` paths of `share`'s index (the first by directory, then path).
    public func fileIndexPaths(share: String, limit: Int) throws -> [String] {
        try reading("read the file index of \(share) from") { db in
            try String.fetchAll(
                db, sql: "SELECT path FROM file_index WHERE share = ? ORDER BY directory, path LIMIT ?",
                arguments: [share, limit])
        }
    }

    /// At most `count` paths of files whose size is in `sizes`, spread evenly over all such files (ordered by
    /// directory, then path).
    public func fileIndexPaths(share: String, sizes: ClosedRange<Int64>, spreadOver count: Int) throws -> [String] {
        try reading("read the file index of \(share) from") { db in
            let matching =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM file_index WHERE share = ? AND size BETWEEN ? AND ?",
                    arguments: [share, sizes.lowerBound, sizes.upperBound]) ?? 0
            let stride = max(1, matching / max(1, count))
            return try String.fetchAll(
                db,
                sql: """
                    SELECT path FROM (
                        SELECT path, row_number() OVER (ORDER BY directory, path) - 1 AS position FROM file_index
                        WHERE share = ? AND size BETWEEN ? AND ?
                    ) WHERE position % ? = 0 ORDER BY position LIMIT ?
                    """,
                arguments: [share, sizes.lowerBound, sizes.upperBound, stride, count])
        }
    }

    /// The paths of `share`'s index that are not in `present`.
    public func fileIndexPaths(share: String, absentFrom present: Set<String>) throws -> [String] {
        try reading("read the file index of \(share) from") { db in
            try Self.values(
                of: String.fetchCursor(db, sql: "SELECT path FROM file_index WHERE share = ?", arguments: [share]),
                absentFrom: present)
        }
    }

    /// The paths of `share`'s index in `directories`, after `after` and up to `through` (byte order; nil: no bound),
    /// that are not in `present`: a directory's rows are read by the table's key, not by a scan of the share's.
    public func fileIndexPaths(
        share: String, absentFrom present: Set<String>, inDirectories directories: [String], after: String?,
        through: String?
    ) throws -> [String] {
        try reading("read the file index of \(share) from") { db in
            var absent: [String] = []
            let statement = try db.makeStatement(
                sql: """
                    SELECT path FROM file_index WHERE share = ?1 AND directory = ?2
                    AND (?3 IS NULL OR path > ?3) AND (?4 IS NULL OR path <= ?4)
                    """)
            for directory in directories {
                absent += try Self.values(
                    of: String.fetchCursor(statement, arguments: [share, directory, after, through]),
                    absentFrom: present)
            }
            return absent
        }
    }

    /// The directories that hold files in `share`'s index and are not in `present`.
    public func fileIndexDirectories(share: String, absentFrom present: Set<String>) throws -> [String] {
        try reading("read the file index of \(share) from") { db in
            try Self.values(
                of: String.fetchCursor(
                    db, sql: "SELECT DISTINCT directory FROM file_index WHERE share = ?", arguments: [share]),
                absentFrom: present)
        }
    }

    /// The values a cursor reads that are not in `present`, without holding the others.
    private static func values(
        of cursor: some Cursor<String>, absentFrom present: Set<String>
    ) throws -> [String] {
        var absent: [String] = []
        while let value = try cursor.next() {
            if !present.contains(value) { absent.append(value) }
        }
        return absent
    }

    /// Inserts or updates `records` of `share`, all in one transaction; returns how that changed the totals.
    @discardableResult
    public func upsertFileIndex(share: String, _ records: [FileIndexRecord]) throws -> FileIndexTotals {
        try validate(records)
        return try writing("update the file index of \(share) in") { db in
            try Self.insert(records, share: share, db)
        }
    }

    /// Removes the records of `paths` from `share`'s index, in one transaction; unknown paths are ignored. With
    /// `andBelow`, everything under each path goes too (a removed directory). Returns how that changed the totals.
    @discardableResult
    public func removeFromFileIndex(share: String, paths: [String], andBelow: Bool = false) throws -> FileIndexTotals {
        try writing("remove entries from the file index of \(share) in") { db in
            var change = FileIndexTotals()
            // The file itself; the files directly in it (a directory); those further down: directories from
            // "path/" up to (not including) "path0", '0' following '/' in byte order.
            let exact = "share = ? AND directory = ? AND path = ?"
            let inside = "share = ? AND directory = ?"
            let below = "share = ? AND directory > ? AND directory < ?"
            let signatureExact = "share = ? AND path = ?"
            let signatureBelow = "share = ? AND path > ? AND path < ?"
            var steps: [(files: String, signatures: String)] = [(exact, signatureExact)]
            if andBelow { steps += [(inside, signatureBelow), (below, signatureBelow)] }
            let statements = try steps.map { files, signatures in
                (
                    count: try db.makeStatement(
                        sql: "SELECT count(*), coalesce(sum(size), 0) FROM file_index WHERE \(files)"),
                    delete: try db.makeStatement(sql: "DELETE FROM file_index WHERE \(files)"),
                    unsign: try db.makeStatement(sql: "DELETE FROM file_signature WHERE \(signatures)")
                )
            }
            for path in paths {
                let after = path.isEmpty ? "" : path + "/"
                let end = path.isEmpty ? "\u{10FFFF}" : path + "0"
                let arguments: [(files: StatementArguments, signatures: StatementArguments)] = [
                    ([share, FileIndexRecord.directory(of: path), path], [share, path]),
                    ([share, path], [share, after, end]),
                    ([share, after, end], [share, after, end]),
                ]
                for (statement, (files, signatures)) in zip(statements, arguments) {
                    if let row = try Row.fetchOne(statement.count, arguments: files) {
                        change = change + FileIndexTotals(files: -(row[0] as Int), bytes: -(row[1] as Int64))
                    }
                    try statement.delete.execute(arguments: files)
                    try statement.unsign.execute(arguments: signatures)
                }
            }
            return change
        }
    }

    /// Replaces `share`'s whole index with `records` in one transaction: readers see either the old
    /// index or the new one, never a mix.
    public func replaceFileIndex(share: String, with records: [FileIndexRecord]) throws {
        try validate(records)
        try writing("replace the file index of \(share) in") { db in
            try db.execute(sql: "DELETE FROM file_index WHERE share = ?", arguments: [share])
            _ = try Self.insert(records, share: share, db)
            try db.execute(
                sql: """
                    DELETE FROM file_signature WHERE share = ?
                    AND path NOT IN (SELECT path FROM file_index WHERE share = ?)
                    """,
                arguments: [share, share])
        }
    }

    static func fileIndexRecord(_ row: Row) -> FileIndexRecord {
        let hash: Data? = row[7]
        return FileIndexRecord(
            path: row[0], size: row[1],
            mtimeSeconds: row[2], mtimeNanoseconds: row[3],
            ctimeSeconds: row[4], ctimeNanoseconds: row[5],
            inode: UInt64(bitPattern: row[6] as Int64),
            contentHash: hash.map { [UInt8]($0) })
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

    private static func insert(_ records: [FileIndexRecord], share: String, _ db: Database) throws -> FileIndexTotals {
        // Prepared statements for the whole batch: parsing the SQL once is what keeps tens of thousands of rows fast.
        let before = try db.makeStatement(
            sql: "SELECT size FROM file_index WHERE share = ? AND directory = ? AND path = ?")
        let statement = try db.makeStatement(
            sql: """
                INSERT INTO file_index
                    (share, directory, path, size, mtime_s, mtime_ns, ctime_s, ctime_ns, inode, content_hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (share, directory, path) DO UPDATE SET
                    size = excluded.size,
                    mtime_s = excluded.mtime_s, mtime_ns = excluded.mtime_ns,
                    ctime_s = excluded.ctime_s, ctime_ns = excluded.ctime_ns,
                    inode = excluded.inode, content_hash = excluded.content_hash
                """)
        var change = FileIndexTotals()
        for record in records {
            let directory = record.directory
            if let size = try Int64.fetchOne(before, arguments: [share, directory, record.path]) {
                change.bytes += record.size - size
            } else {
                change = change + FileIndexTotals(files: 1, bytes: record.size)
            }
            try statement.execute(arguments: [
                share, directory, record.path, record.size,
                record.mtimeSeconds, record.mtimeNanoseconds,
                record.ctimeSeconds, record.ctimeNanoseconds,
                Int64(bitPattern: record.inode),
                record.contentHash.map { Data($0) },
            ])
        }
        return change
    }
}
