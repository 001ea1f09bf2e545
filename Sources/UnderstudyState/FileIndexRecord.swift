/// What this node last saw of one file in a share: enough of its `stat` to tell, on the next scan,
/// whether the file may have changed, and its content hash when one was computed.
public struct FileIndexRecord: Sendable, Equatable, Codable {
    /// Path relative to the share root.
    public var path: String
    public var size: Int64
    public var mtimeSeconds: Int64
    public var mtimeNanoseconds: Int32
    public var ctimeSeconds: Int64
    public var ctimeNanoseconds: Int32
    public var inode: UInt64
    /// SHA-256 of the content, 32 bytes; nil when not known.
    public var contentHash: [UInt8]?

    public init(
        path: String, size: Int64,
        mtimeSeconds: Int64, mtimeNanoseconds: Int32,
        ctimeSeconds: Int64, ctimeNanoseconds: Int32,
        inode: UInt64, contentHash: [UInt8]?
    ) {
        self.path = path
        self.size = size
        self.mtimeSeconds = mtimeSeconds
        self.mtimeNanoseconds = mtimeNanoseconds
        self.ctimeSeconds = ctimeSeconds
        self.ctimeNanoseconds = ctimeNanoseconds
        self.inode = inode
        self.contentHash = contentHash
    }

    /// The directory the file is in: "" at the share's root.
    public var directory: String { Self.directory(of: path) }

    /// The directory part of a share-relative path: "" for a file at the root.
    public static func directory(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        return String(path[..<slash])
    }
}
