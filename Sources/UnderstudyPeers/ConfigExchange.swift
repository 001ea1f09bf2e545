import Foundation
import UnderstudyCore
import UnderstudyWire

/// What the peer sessions need of the tracked configuration (the state database in the composition root): on the
/// node that tracks a group, the versions to send; on a node that follows it, where its copy stands and a place for
/// what arrives.
package protocol ConfigExchange: Sendable {
    /// The versions of `group` after `sequence`, oldest first (at most about `byteLimit` bytes of content), and the
    /// group's highest sequence.
    func versions(
        group: String, after sequence: Int, byteLimit: Int
    ) throws -> (versions: [ConfigVersion], highest: Int)
    /// The highest sequence of `group` this node holds.
    func lastSequence(group: String) throws -> Int
    /// Keeps versions of `group` taken from `peer`; `restart`: the peer's history began again, so this node's copy
    /// is replaced. Returns how many were new.
    func take(_ versions: [ConfigVersion], group: String, restart: Bool, from peer: String) throws -> Int
}

/// The versions as the wire carries them (`configVersions`): JSON, the content in base64.
enum ConfigDocument {
    private struct Entry: Codable {
        var path: String
        var version: Int
        var sequence: Int
        var takenAt: Double
        var content: Data?
        var digest: String
        var note: String?
    }

    /// At most this many bytes of content go in one answer (a file may make it larger, up to its own limit).
    static let contentLimit = 2 << 20

    static func encode(_ versions: [ConfigVersion]) throws -> [UInt8] {
        let entries = versions.map {
            Entry(
                path: $0.path, version: $0.version, sequence: $0.sequence, takenAt: $0.takenAt,
                content: $0.content.map { Data($0) }, digest: $0.digest, note: $0.note)
        }
        return [UInt8](try JSONEncoder().encode(entries))
    }

    /// The versions in `document`, each checked: an absolute path, sizes within limits, the digest's form.
    static func decode(_ document: [UInt8], group: String) throws -> [ConfigVersion] {
        guard !document.isEmpty else { return [] }
        let entries = try JSONDecoder().decode([Entry].self, from: Data(document))
        return try entries.map { entry in
            guard entry.path.hasPrefix("/"), !entry.path.split(separator: "/").contains(".."),
                !entry.path.contains("\0"), entry.version > 0, entry.sequence > 0,
                (entry.content?.count ?? 0) <= ConfigVersion.maximumSize,
                entry.digest.count <= 64
            else {
                throw PeerSessionError.refused(
                    "a tracked configuration version of group \(group) that is not one (\(entry.path.prefix(200)))")
            }
            return ConfigVersion(
                group: group, path: entry.path, version: entry.version, sequence: entry.sequence,
                takenAt: entry.takenAt, content: entry.content.map { [UInt8]($0) }, digest: entry.digest,
                note: entry.note)
        }
    }
}
