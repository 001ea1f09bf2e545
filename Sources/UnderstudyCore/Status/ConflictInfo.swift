import struct Foundation.Date

/// One file found changed on both nodes when a node that had served a group rejoined: the serving tree holds the
/// serving node's version at `path` and the rejoining node's version at `copy`, side by side.
public struct ConflictInfo: Sendable, Codable, Equatable {
    public var id: Int64
    /// "group/share".
    public var share: String
    public var path: String
    /// The conflict copy's path (relative to the share), holding `node`'s version.
    public var copy: String
    public var node: String
    /// `RejoinPlanner.Conflict.Reason`.
    public var reason: String
    public var foundAt: Date
    public var copySize: Int64
    public var copyModified: Date
    /// The file at `path` in this node's tree now (nil: none).
    public var currentSize: Int64?
    public var currentModified: Date?
    /// How it was resolved ("local", "remote", "both"); nil while open.
    public var resolved: String?

    public init(
        id: Int64, share: String, path: String, copy: String, node: String, reason: String, foundAt: Date,
        copySize: Int64,
        copyModified: Date, currentSize: Int64? = nil, currentModified: Date? = nil, resolved: String? = nil
    ) {
        self.id = id
        self.share = share
        self.path = path
        self.copy = copy
        self.node = node
        self.reason = reason
        self.foundAt = foundAt
        self.copySize = copySize
        self.copyModified = copyModified
        self.currentSize = currentSize
        self.currentModified = currentModified
        self.resolved = resolved
    }
}
