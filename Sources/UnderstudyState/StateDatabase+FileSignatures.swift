import Foundation
import GRDB

/// A block signature of a replica file, valid while the file's `stat` still matches `file` (size, times to the
/// nanosecond, inode; the content hash is not kept here).
public struct FileSignatureRecord: Sendable, Equatable {
    public var file: FileIndexRecord
    public var signature: [UInt8]

    public init(file: FileIndexRecord, signature: [UInt8]) {
        self.file = file
        self.signature = signature
    }

    /// True when `other` (a fresh `stat` of the path) is the version the signature was made of.
    public func describes(_ other: FileIndexRecord) -> Bool {
        file.size == other.size && file.inode == other.inode
            && file.mtimeSeconds == other.mtimeSeconds && file.mtimeNanoseconds == other.mtimeNanoseconds
            && file.ctimeSeconds == other.ctimeSeconds && file.ctimeNanoseconds == other.ctimeNanoseconds
    }
}

extension StateDatabase {
    /// Inserts or replaces the signatures of `share`'s files, in one transaction.
    public func storeFileSignatures(share: String, _ records: [FileSignatureRecord]) throws {
        try writing("store file signatures of \(share) in") { db in
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO file_signature
                        (share, path, size, mtime_s, mtime_ns, ctime_s, ctime_ns, inode, signature)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (share, path) DO UPDATE SET
                        size = excluded.size,
                        mtime_s = excluded.mtime_s, mtime_ns = excluded.mtime_ns,
                        ctime_s = excluded.ctime_s, ctime_ns = excluded.ctime_ns,
                        inode = excluded.inode, signature = excluded.signature
                    """)
            for record in records {
                let file = record.file
                try statement.execute(arguments: [
                    share, file.path, file.size, file.mtimeSeconds, file.mtimeNanoseconds, file.ctimeSeconds,
                    file.ctimeNanoseconds, Int64(bitPattern: file.inode), Data(record.signature),
                ])
            }
        }
    }

    /// The stored signature of `path` in `share`, whatever version it describes; nil when there is none.
    public func fileSignature(share: String, path: String) throws -> FileSignatureRecord? {
        try reading("read a file signature of \(share) from") { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT size, mtime_s, mtime_ns, ctime_s, ctime_ns, inode, signature
                        FROM file_signature WHERE share = ? AND path = ?
                        """,
                    arguments: [share, path])
            else { return nil }
            let signature: Data = row[6]
            return FileSignatureRecord(
                file: FileIndexRecord(
                    path: path, size: row[0], mtimeSeconds: row[1], mtimeNanoseconds: row[2], ctimeSeconds: row[3],
                    ctimeNanoseconds: row[4], inode: UInt64(bitPattern: row[5] as Int64), contentHash: nil),
                signature: [UInt8](signature))
        }
    }

    /// Signatures stored for `share` (tests check that rows go with their files).
    public func fileSignatureCount(share: String) throws -> Int {
        try reading("count the file signatures of \(share) in") { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM file_signature WHERE share = ?", arguments: [share]) ?? 0
        }
    }
}
