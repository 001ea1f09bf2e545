/// The kinds of tree entry that are mirrored. Devices, FIFOs and sockets are not: the scanner reports them.
public enum EntryKind: UInt8, Sendable, Codable {
    case file = 1
    case directory = 2
    case symlink = 3
}

/// Metadata that is mirrored along with content.
public struct FileAttributes: Sendable, Equatable, Hashable {
    /// Permission bits including setuid/setgid/sticky (mode & 0o7777).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var mtimeSeconds: Int64
    public var mtimeNanoseconds: UInt32

    public init(mode: UInt32, uid: UInt32, gid: UInt32, mtimeSeconds: Int64, mtimeNanoseconds: UInt32) {
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.mtimeSeconds = mtimeSeconds
        self.mtimeNanoseconds = mtimeNanoseconds
    }

    public func sameTime(as other: FileAttributes) -> Bool {
        mtimeSeconds == other.mtimeSeconds && mtimeNanoseconds == other.mtimeNanoseconds
    }
}

/// One entry of a tree, as seen by a stat walk (content hashes only where already known).
public struct ManifestEntry: Sendable, Equatable {
    public var path: String
    public var kind: EntryKind
    /// Bytes of a file; 0 for directories; target length for symlinks.
    public var size: Int64
    public var attributes: FileAttributes
    public var linkTarget: String?
    /// Identity on the side that scanned it; used for hard-link groups and cheap rename recognition.
    public var inode: UInt64
    public var linkCount: UInt32
    /// SHA-256 of the content when known without reading the file (file index), else nil.
    public var contentHash: [UInt8]?

    public init(
        path: String, kind: EntryKind, size: Int64, attributes: FileAttributes,
        linkTarget: String? = nil, inode: UInt64 = 0, linkCount: UInt32 = 1, contentHash: [UInt8]? = nil
    ) {
        self.path = path
        self.kind = kind
        self.size = size
        self.attributes = attributes
        self.linkTarget = linkTarget
        self.inode = inode
        self.linkCount = linkCount
        self.contentHash = contentHash
    }
}
