/// One version of a tracked configuration file of a group, as the primary read it: recorded at each change whoever
/// made it (and at a rollback, which is itself a new version), mirrored to the group's other nodes.
public struct ConfigVersion: Sendable, Equatable, Codable {
    public var group: String
    /// The file's absolute path on the primary.
    public var path: String
    /// 1, 2, 3… for this path in this group.
    public var version: Int
    /// The group's sequence of versions, across its files: what a node that mirrors them has seen.
    public var sequence: Int
    /// When the primary read it (seconds since 1970).
    public var takenAt: Double
    /// nil: the file was gone (removed, or not a regular file) when the primary read it.
    public var content: [UInt8]?
    /// Hex SHA-256 of the content ("" when gone).
    public var digest: String
    /// Why it was recorded when not by a change seen on disk: "rollback to 3".
    public var note: String?

    public init(
        group: String, path: String, version: Int, sequence: Int, takenAt: Double, content: [UInt8]?, digest: String,
        note: String? = nil
    ) {
        self.group = group
        self.path = path
        self.version = version
        self.sequence = sequence
        self.takenAt = takenAt
        self.content = content
        self.digest = digest
        self.note = note
    }

    /// Files larger are not tracked (a configuration file is a few kilobytes); the primary logs why.
    public static let maximumSize = 1 << 20

    public var size: Int { content?.count ?? 0 }

    /// The version without its content: what history lists.
    public var summary: ConfigVersionSummary {
        ConfigVersionSummary(
            path: path, version: version, takenAt: takenAt, size: content?.count, digest: digest, note: note)
    }
}

/// A version as history lists it: without its content.
public struct ConfigVersionSummary: Sendable, Equatable, Codable {
    public var path: String
    public var version: Int
    public var takenAt: Double
    /// nil: the file was gone.
    public var size: Int?
    public var digest: String
    public var note: String?

    public init(path: String, version: Int, takenAt: Double, size: Int?, digest: String, note: String?) {
        self.path = path
        self.version = version
        self.takenAt = takenAt
        self.size = size
        self.digest = digest
        self.note = note
    }
}
