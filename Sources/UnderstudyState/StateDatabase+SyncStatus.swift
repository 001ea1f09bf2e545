import Foundation
import GRDB

extension StateDatabase {
    /// The last saved status of `share`, or nil if none was ever saved.
    public func loadSyncStatus(share: String) throws -> SyncStatusRecord? {
        try reading("read the sync status of \(share) from") { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT share, state, files_total, files_done, bytes_total, bytes_done,
                               bytes_sent, bytes_received, last_sync_at, last_error, updated_at
                        FROM sync_status WHERE share = ?
                        """,
                    arguments: [share])
            else { return nil }
            let lastSyncAt: Double? = row[8]
            return SyncStatusRecord(
                share: row[0], state: row[1],
                filesTotal: row[2], filesDone: row[3], bytesTotal: row[4], bytesDone: row[5],
                bytesSent: row[6], bytesReceived: row[7],
                lastSyncAt: lastSyncAt.map(Date.init(stateColumnValue:)),
                lastError: row[9],
                updatedAt: Date(stateColumnValue: row[10]))
        }
    }

    /// Saves `record` as the status of `record.share`, replacing the previous one.
    public func saveSyncStatus(_ record: SyncStatusRecord) throws {
        try writing("save the sync status of \(record.share) in") { db in
            try db.execute(
                sql: """
                    INSERT INTO sync_status
                        (share, state, files_total, files_done, bytes_total, bytes_done,
                         bytes_sent, bytes_received, last_sync_at, last_error, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (share) DO UPDATE SET
                        state = excluded.state,
                        files_total = excluded.files_total, files_done = excluded.files_done,
                        bytes_total = excluded.bytes_total, bytes_done = excluded.bytes_done,
                        bytes_sent = excluded.bytes_sent, bytes_received = excluded.bytes_received,
                        last_sync_at = excluded.last_sync_at, last_error = excluded.last_error,
                        updated_at = excluded.updated_at
                    """,
                arguments: [
                    record.share, record.state,
                    record.filesTotal, record.filesDone, record.bytesTotal, record.bytesDone,
                    record.bytesSent, record.bytesReceived,
                    record.lastSyncAt?.stateColumnValue, record.lastError,
                    record.updatedAt.stateColumnValue,
                ])
        }
    }
}
