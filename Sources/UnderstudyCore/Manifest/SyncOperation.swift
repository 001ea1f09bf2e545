/// What a delta is computed against on the replica side.
public enum DeltaBasis: UInt8, Sendable, Codable {
    /// No basis: the file is sent whole (compressed).
    case none = 0
    /// The replica's current file at the same path.
    case replica = 1
    /// A partial copy left by an interrupted transfer (`.understudy.part.` sibling).
    case partial = 2
}

/// One step that brings a replica closer to its source. Operations are applied in plan order.
public enum SyncOperation: Sendable, Equatable {
    /// The replica holds an entry of another kind at `path` (a directory where the source has a file...):
    /// remove it and everything below it first.
    case removeTree(path: String)
    case makeDirectory(path: String)
    /// A file that moved on the source and whose content the replica already has under its old name.
    /// `contentHash` (SHA-256 of the source file) is filled in before sending; the standby renames only if
    /// its file has that content.
    case rename(from: String, to: String, contentHash: [UInt8]?)
    case sendFile(path: String, size: Int64, basis: DeltaBasis)
    case makeSymlink(path: String, target: String, attributes: FileAttributes)
    /// `path` becomes another name of the replica file at `target` (a hard link on the source too).
    case makeHardLink(path: String, target: String)
    /// Content is current; mode, owner or mtime differ.
    case setAttributes(path: String, kind: EntryKind, attributes: FileAttributes)
    /// Gone from the source: remove it (a directory with everything below it).
    case delete(path: String)
    /// Done last, deepest first, because changing a directory's children changes its mtime.
    case setDirectoryAttributes(path: String, attributes: FileAttributes)

    /// The paths this operation writes or removes on the replica.
    public var touchedPaths: [String] {
        switch self {
        case .removeTree(let path), .makeDirectory(let path), .delete(let path): [path]
        case .rename(let from, let to, _): [from, to]
        case .sendFile(let path, _, _), .makeSymlink(let path, _, _), .makeHardLink(let path, _): [path]
        case .setAttributes(let path, _, _), .setDirectoryAttributes(let path, _): [path]
        }
    }
}
