/// A directory tree on the primary mirrored into a directory on the standby.
public struct ShareConfiguration: Sendable, Equatable {
    public var name: String
    /// Absolute path of the tree on the primary.
    public var source: String
    /// Absolute path of the mirror on the standby; defaults to `source`.
    public var replica: String
    /// gitignore-style patterns; see `PathFilter` and docs/configuration.md.
    public var include: [String]
    public var exclude: [String]
    /// `include` and `exclude`, compiled once.
    public var filter: PathFilter

    public init(name: String, source: String, replica: String? = nil, include: [String] = [], exclude: [String] = []) throws(GlobError) {
        self.name = name
        self.source = source
        self.replica = replica ?? source
        self.include = include
        self.exclude = exclude
        self.filter = try PathFilter(include: include, exclude: exclude)
    }
}
