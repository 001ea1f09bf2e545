import Foundation
import GRDB
import UnderstudyCore

extension StateDatabase {
    /// The console's users and tokens as this node last stored them; an empty directory (revision 0) before any.
    public func loadUserDirectory() throws -> UserDirectory {
        try reading("read the console's users from") { db in
            guard let text = try String.fetchOne(db, sql: "SELECT document FROM user_directory WHERE id = 1") else {
                return UserDirectory()
            }
            do {
                return try JSONDecoder().decode(UserDirectory.self, from: Data(text.utf8))
            } catch {
                throw StateError(
                    code: .invalidRecord,
                    message:
                        "the console's user directory in the state database cannot be read (\(error)); restore the database from a backup, or remove its row (DELETE FROM user_directory) and add the users again",
                    path: path)
            }
        }
    }

    /// Replaces the stored directory with `directory`, whole, in one transaction.
    public func saveUserDirectory(_ directory: UserDirectory) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(directory), as: UTF8.self)
        try writing("store the console's users in") { db in
            try db.execute(
                sql: """
                    INSERT INTO user_directory (id, revision, document) VALUES (1, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, document = excluded.document
                    """,
                arguments: [Int64(directory.revision), text])
        }
    }
}
