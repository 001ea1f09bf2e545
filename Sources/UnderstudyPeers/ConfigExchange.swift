import Foundation
import UnderstudyCore
import UnderstudyWire

/// What the peer sessions need of the tracked configuration (the state database in the composition root): on the
/// node that tracks a group, the versions to send; on a node that follows it, where its copy stands and a place for
/// what arrives.
package protocol ConfigExchange: Sendable {
    /// The versions of `group` after `sequence`, oldest first (at most about `byteLimit` bytes of content), the
    /// group's highest sequence, and the id of its history (nil: no version yet).
    func versions(
        group: String, after sequence: Int, byteLimit: Int
    ) throws -> (history: String?, versions: [ConfigVersion], highest: Int)
    /// The history this node's copy of `group` belongs to, and the highest sequence it holds.
    func copy(group: String) throws -> (history: String?, last: Int)
    /// Keeps versions of `group`'s history `history` taken from `peer`; `replacing`: the copy of another history
    /// goes, in the same transaction. Returns how many were new.
    func take(
        _ versions: [ConfigVersion], group: String, history: String, replacing: Bool, from peer: String
    ) throws -> Int
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

    private struct Document: Codable {
        var history: String
        var versions: [Entry]
    }

    static func encode(history: String, _ versions: [ConfigVersion]) throws -> [UInt8] {
        let entries = versions.map {
            Entry(
                path: $0.path, version: $0.version, sequence: $0.sequence, takenAt: $0.takenAt,
                content: $0.content.map { Data($0) }, digest: $0.digest, note: $0.note)
        }
        return [UInt8](try JSONEncoder().encode(Document(history: history, versions: entries)))
    }

    /// The history and versions in `document` (empty: none yet), each version checked: one spelling of an absolute
    /// path, sizes within limits, the digest's form. Whether the group tracks the path is the caller's to check.
    static func decode(_ document: [UInt8], group: String) throws -> (history: String?, versions: [ConfigVersion]) {
        guard !document.isEmpty else { return (nil, []) }
        let decoded = try JSONDecoder().decode(Document.self, from: Data(document))
        guard !decoded.history.isEmpty, decoded.history.utf8.count <= 64 else {
            throw PeerSessionError.refused("the tracked configuration of group \(group) names no history")
        }
        let versions = try decoded.versions.map { entry in
            let components = entry.path.split(separator: "/", omittingEmptySubsequences: false)
            let problem: String? =
                !entry.path.hasPrefix("/")
                    || components.dropFirst().contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
                    || entry.path.contains("\0")
                ? "its path is not one absolute path"
                : entry.version <= 0 || entry.sequence <= 0
                    ? "its version or sequence is not positive"
                    : (entry.content?.count ?? 0) > ConfigVersion.maximumSize
                        ? "its content is larger than \(ConfigVersion.maximumSize) bytes"
                        : entry.digest.utf8.count > 64 ? "its digest is not a SHA-256" : nil
            if let problem {
                throw PeerSessionError.refused(
                    "a version of group \(group)'s tracked configuration (\(entry.path.prefix(200))) is refused: \(problem)"
                )
            }
            return ConfigVersion(
                group: group, path: entry.path, version: entry.version, sequence: entry.sequence,
                takenAt: entry.takenAt, content: entry.content.map { [UInt8]($0) }, digest: entry.digest,
                note: entry.note)
        }
        return (decoded.history, versions)
    }
}
