/// What `understudy seed export` wrote beside a copy of a share's tree (`seed.json`): whose tree it is, when and from
/// which node, and every entry with its attributes and, for files, the SHA-256 of the content as it was read, so that
/// `seed import` can prove the copy whole before adopting it (a disk carried to another site may be damaged).
public struct SeedManifest: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        public var path: String
        /// "file", "directory" or "symlink".
        public var kind: String
        public var size: Int64
        public var mode: UInt32
        public var uid: UInt32
        public var gid: UInt32
        public var mtimeSeconds: Int64
        public var mtimeNanoseconds: UInt32
        public var target: String?
        /// Hex SHA-256 of a file's content.
        public var sha256: String?

        public init(
            path: String, kind: String, size: Int64, mode: UInt32, uid: UInt32, gid: UInt32, mtimeSeconds: Int64,
            mtimeNanoseconds: UInt32, target: String? = nil, sha256: String? = nil
        ) {
            self.path = path
            self.kind = kind
            self.size = size
            self.mode = mode
            self.uid = uid
            self.gid = gid
            self.mtimeSeconds = mtimeSeconds
            self.mtimeNanoseconds = mtimeNanoseconds
            self.target = target
            self.sha256 = sha256
        }
    }

    public static let currentVersion = 1
    public static let fileName = "seed.json"
    public static let dataDirectory = "data"

    public var version: Int
    public var cluster: String
    /// "group/share".
    public var share: String
    /// The node whose tree was copied.
    public var node: String
    /// Seconds since 1970.
    public var exportedAt: Double
    public var items: [Item]

    public init(cluster: String, share: String, node: String, exportedAt: Double, items: [Item]) {
        version = Self.currentVersion
        self.cluster = cluster
        self.share = share
        self.node = node
        self.exportedAt = exportedAt
        self.items = items
    }

    public var files: Int { items.count { $0.kind == "file" } }
    public var bytes: Int64 { items.reduce(0) { $0 + ($1.kind == "file" ? $1.size : 0) } }
}
