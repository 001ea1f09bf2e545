/// A directory tree on the primary mirrored into a directory on the standby.
public struct ShareConfiguration: Sendable, Equatable {
    public var name: String
    /// Absolute path of the tree on the primary.
    public var source: String
    /// Absolute path of the mirror on the standby; defaults to `source`.
    public var replica: String
    /// Absolute path of the copy on the group's off-site node (`offsite_replica`); defaults to `replica`.
    public var offsiteReplica: String
    /// gitignore-style patterns; see `PathFilter` and docs/configuration.md.
    public var include: [String]
    public var exclude: [String]
    /// `include` and `exclude`, compiled once.
    public var filter: PathFilter
    /// How long the standby keeps the prior version of every replica file it replaces or deletes (`history`);
    /// nil: off (the default).
    public var history: ConfigDuration?
    /// Where the standby keeps this share's archives and history (`archive_dir`); on the replica's file system,
    /// so unchanged files are shared by hard links. Default: `.<replica name>.understudy-archives` beside the replica.
    public var archiveDirectory: String

    public init(
        name: String, source: String, replica: String? = nil, offsiteReplica: String? = nil, include: [String] = [],
        exclude: [String] = [], history: ConfigDuration? = nil, archiveDirectory: String? = nil
    ) throws(GlobError) {
        self.name = name
        self.source = source
        self.replica = replica ?? source
        self.offsiteReplica = offsiteReplica ?? replica ?? source
        self.include = include
        self.exclude = exclude
        self.filter = try PathFilter(include: include, exclude: exclude)
        self.history = history
        self.archiveDirectory = archiveDirectory ?? Self.defaultArchiveDirectory(replica: replica ?? source)
    }

    /// `/srv/files` → `/srv/.files.understudy-archives`: beside the replica (same file system), outside it (the
    /// mirror never sees it), and one per replica.
    public static func defaultArchiveDirectory(replica: String) -> String {
        sibling(of: replica, suffix: ".understudy-archives")
    }

    /// `.NAME<suffix>` beside `replica` (whose last component is NAME): on the replica's file system as a rule, so
    /// that hard links reach it.
    public static func sibling(of replica: String, suffix: String) -> String {
        let trimmed = replica.count > 1 && replica.hasSuffix("/") ? String(replica.dropLast()) : replica
        guard let slash = trimmed.lastIndex(of: "/") else { return "." + trimmed + suffix }
        let parent = trimmed[..<slash]
        let name = trimmed[trimmed.index(after: slash)...]
        return (parent.isEmpty ? "" : String(parent)) + "/." + name + suffix
    }
}
