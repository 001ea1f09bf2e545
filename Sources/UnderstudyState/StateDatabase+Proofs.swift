import Foundation
import GRDB
import UnderstudyCore

extension StateDatabase {
    /// How many proofs are kept per group (the oldest go first).
    public static let proofsKept = 200

    /// Saves `proof` (replacing one with its id) and drops the group's oldest past `proofsKept`.
    public func saveProof(_ proof: ProofRecord) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let data = try encoder.encode(proof)
        try writing("save proof \(proof.id) of group \(proof.group) in") { db in
            try db.execute(
                sql: """
                    INSERT INTO proof (id, grp, started_at, passed, record) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET
                        started_at = excluded.started_at, passed = excluded.passed, record = excluded.record
                    """,
                arguments: [proof.id, proof.group, proof.startedAt.stateColumnValue, proof.passed, data])
            try db.execute(
                sql: """
                    DELETE FROM proof WHERE grp = ? AND id NOT IN
                        (SELECT id FROM proof WHERE grp = ? ORDER BY started_at DESC LIMIT ?)
                    """,
                arguments: [proof.group, proof.group, Self.proofsKept])
        }
    }

    /// The proofs of `group` (every group when nil), newest first, at most `limit`.
    public func proofs(group: String?, limit: Int = proofsKept) throws -> [ProofRecord] {
        let rows: [Data] = try reading("read the proofs from") { db in
            if let group {
                return try Data.fetchAll(
                    db, sql: "SELECT record FROM proof WHERE grp = ? ORDER BY started_at DESC LIMIT ?",
                    arguments: [group, limit])
            }
            return try Data.fetchAll(
                db, sql: "SELECT record FROM proof ORDER BY started_at DESC LIMIT ?", arguments: [limit])
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        // A record this version cannot read (written by a newer one) is left out, not an error for the rest.
        return rows.compactMap { try? decoder.decode(ProofRecord.self, from: $0) }
    }

    /// The newest proof of `group`, or nil.
    public func lastProof(group: String) throws -> ProofRecord? {
        try proofs(group: group, limit: 1).first
    }
}
