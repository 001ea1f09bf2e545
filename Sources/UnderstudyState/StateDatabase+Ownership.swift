import Foundation
import GRDB
import UnderstudyCore

extension StateDatabase {
    /// The stored ownership of `group`, nil before this node ever knew of a takeover.
    public func loadOwnership(group: String) throws -> GroupOwnership? {
        try reading("read the ownership of group \(group) from") { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT epoch, owner FROM group_ownership WHERE group_name = ?",
                    arguments: [group])
            else { return nil }
            return GroupOwnership(epoch: UInt64(bitPattern: row[0] as Int64), owner: row[1])
        }
    }

    /// Stores `ownership` durably (the write is fsynced when this returns); `time` is when it was decided, on the
    /// node's clock.
    public func saveOwnership(_ ownership: GroupOwnership, group: String, at time: Date) throws {
        try writing("store the ownership of group \(group) in") { db in
            try db.execute(
                sql: """
                    INSERT INTO group_ownership (group_name, epoch, owner, changed_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (group_name) DO UPDATE SET epoch = excluded.epoch, owner = excluded.owner, changed_at = excluded.changed_at
                    """,
                arguments: [group, Int64(bitPattern: ownership.epoch), ownership.owner, time.timeIntervalSince1970])
        }
    }
}
