import UnderstudyCore

/// A share's tree in memory, for sessions run without files: entries by path ("" is the root directory), with
/// content for files. It takes the plan's steps as the replica writer does, refusing what the writer refuses.
struct MemoryTree: Equatable, CustomStringConvertible {
    struct Node: Equatable {
        var kind: EntryKind
        var content: [UInt8] = []
        var attributes: FileAttributes
        var linkTarget: String?
        var inode: UInt64
    }

    struct Refusal: Error, Equatable {
        var code: Code
        var path: String

        enum Code { case missing, contentMismatch, notADirectory }
    }

    private(set) var nodes: [String: Node]
    private var nextInode: UInt64 = 2

    init() {
        nodes = ["": Node(kind: .directory, attributes: MemoryTree.attributes(mode: 0o755, time: 1), inode: 1)]
    }

    static func attributes(mode: UInt32, time: Int64) -> FileAttributes {
        FileAttributes(mode: mode, uid: 0, gid: 0, mtimeSeconds: time, mtimeNanoseconds: 0)
    }

    /// A small content hash (FNV-1a), standing for SHA-256 in memory.
    static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return (0..<8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    subscript(path: String) -> Node? { nodes[path] }

    /// One line per entry: what a failed expectation shows.
    var description: String {
        nodes.keys.sorted().map { path in
            let node = nodes[path]!
            let what =
                switch node.kind {
                case .file:
                    "\(node.content.count) bytes \(String(decoding: node.content.prefix(24), as: UTF8.self).debugDescription)"
                case .directory: "directory"
                case .symlink: "-> \(node.linkTarget ?? "")"
                }
            return "/\(path) \(what) t=\(node.attributes.mtimeSeconds)"
        }.joined(separator: "; ")
    }

    var files: [String: [UInt8]] {
        nodes.filter { $0.value.kind == .file }.mapValues(\.content)
    }

    mutating func makeDirectory(_ path: String, time: Int64 = 10) {
        nodes[path] = Node(kind: .directory, attributes: Self.attributes(mode: 0o755, time: time), inode: newInode())
    }

    mutating func write(_ path: String, _ text: String, time: Int64 = 10) {
        let inode = nodes[path]?.inode ?? newInode()
        nodes[path] = Node(
            kind: .file, content: Array(text.utf8), attributes: Self.attributes(mode: 0o644, time: time), inode: inode)
    }

    mutating func remove(_ path: String) {
        nodes = nodes.filter { $0.key != path && !$0.key.hasPrefix(path + "/") }
    }

    mutating func move(_ from: String, to: String) {
        nodes[to] = nodes.removeValue(forKey: from)
    }

    /// The entries within `scope` (every one when nil), sorted by path, as a scan reports them.
    func manifest(within scope: [ScopedPath]? = nil, hashes: Bool = false) -> [ManifestEntry] {
        nodes.keys.sorted().filter { path in
            scope?.contains { $0.path == path || ($0.recursive && Self.isInside(path, $0.path)) } ?? true
        }.map { path in
            let node = nodes[path]!
            return ManifestEntry(
                path: path, kind: node.kind, size: Int64(node.content.count), attributes: node.attributes,
                linkTarget: node.linkTarget, inode: node.inode,
                contentHash: hashes && node.kind == .file ? Self.hash(node.content) : nil)
        }
    }

    /// One slice in path order, as `TreeScanner.scan(_:slice:)` walks it on disk: the first `limit` entries after
    /// `after`, the directories above them that come before the slice, and whether the walk reached the end.
    func slice(
        after: String?, limit: Int, hashes: Bool = false
    ) -> (entries: [ManifestEntry], context: [ManifestEntry], complete: Bool) {
        let following = manifest(hashes: hashes).filter { entry in after.map { entry.path > $0 } ?? true }
        let entries = Array(following.prefix(limit))
        var ancestors = Set<String>()
        if let after {
            for entry in entries {
                var path = entry.path
                while let parent = Self.parent(of: path) {
                    if parent <= after { ancestors.insert(parent) }
                    path = parent
                }
            }
        }
        let context = manifest().filter { ancestors.contains($0.path) }
        return (entries, context, entries.count < limit)
    }

    private static func parent(of path: String) -> String? {
        if path.isEmpty { return nil }
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    /// One step of a plan, as `ReplicaWriter.apply` takes it.
    mutating func apply(_ operation: SyncOperation) throws(Refusal) {
        switch operation {
        case .removeTree(let path), .delete(let path):
            remove(path)
        case .makeDirectory(let path):
            try requireParent(path)
            if nodes[path]?.kind != .directory { makeDirectory(path) }
        case .rename(let from, let to, let expected):
            guard let node = nodes[from] else { throw Refusal(code: .missing, path: to) }
            guard let expected, node.kind != .file || Self.hash(node.content) == expected else {
                throw Refusal(code: .contentMismatch, path: to)
            }
            try requireParent(to)
            move(from, to: to)
        case .sendFile(let path, _, _):
            throw Refusal(code: .contentMismatch, path: path)
        case .makeSymlink(let path, let target, let attributes):
            try requireParent(path)
            nodes[path] = Node(kind: .symlink, attributes: attributes, linkTarget: target, inode: newInode())
        case .makeHardLink(let path, let target):
            guard let node = nodes[target] else { throw Refusal(code: .missing, path: path) }
            nodes[path] = node
        case .setAttributes(let path, _, let attributes), .setDirectoryAttributes(let path, let attributes):
            guard nodes[path] != nil else { throw Refusal(code: .missing, path: path) }
            nodes[path]!.attributes = attributes
        }
    }

    /// A file received whole, put in place under its name.
    mutating func commit(_ path: String, content: [UInt8], attributes: FileAttributes) throws(Refusal) {
        try requireParent(path)
        nodes[path] = Node(
            kind: .file, content: content, attributes: attributes, inode: nodes[path]?.inode ?? newInode())
    }

    /// Equal as a mirror: same paths, kinds, content, links and modification times (inodes are each tree's own).
    func mirrors(_ other: MemoryTree) -> Bool {
        nodes.keys.sorted() == other.nodes.keys.sorted()
            && nodes.allSatisfy { path, node in
                let theirs = other.nodes[path]!
                return node.kind == theirs.kind && node.content == theirs.content
                    && node.linkTarget == theirs.linkTarget && node.attributes == theirs.attributes
            }
    }

    private func requireParent(_ path: String) throws(Refusal) {
        let parent = path.split(separator: "/").dropLast().joined(separator: "/")
        guard nodes[parent]?.kind == .directory else { throw Refusal(code: .notADirectory, path: path) }
    }

    private static func isInside(_ path: String, _ directory: String) -> Bool {
        directory.isEmpty || path.hasPrefix(directory + "/")
    }

    private mutating func newInode() -> UInt64 {
        defer { nextInode += 1 }
        return nextInode
    }
}
