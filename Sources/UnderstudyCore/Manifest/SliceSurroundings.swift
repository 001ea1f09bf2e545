/// What the plan of one slice of a sliced comparison needs from outside the slice (see `PathSlice`).
public struct SliceSurroundings: Sendable, Equatable {
    /// The first name of a hard-linked file, met in an earlier slice.
    public struct LinkLeader: Sendable, Equatable {
        public var path: String
        /// The replica's inode under that name when it was compared (nil: the replica had no file there).
        public var replicaInode: UInt64?
        /// Its content was sent (or renamed into place) by its slice: the other names must be linked to it anew.
        public var sent: Bool

        public init(path: String, replicaInode: UInt64?, sent: Bool) {
            self.path = path
            self.replicaInode = replicaInode
            self.sent = sent
        }
    }

    /// The source's directories above the slice's entries that come before it: their times are set back when the
    /// slice changes something inside them.
    public var directories: [ManifestEntry]
    /// Hard-link groups whose first name came in an earlier slice, by the source's inode.
    public var earlierLeaders: [UInt64: LinkLeader]

    public init(directories: [ManifestEntry] = [], earlierLeaders: [UInt64: LinkLeader] = [:]) {
        self.directories = directories
        self.earlierLeaders = earlierLeaders
    }

    /// The first names of the hard-link groups that begin in this slice (`source`, sorted), for the slices after it.
    public static func leaders(
        beginningIn source: [ManifestEntry], replica: [String: ManifestEntry], plan: SyncPlan,
        earlier: [UInt64: LinkLeader]
    ) -> [UInt64: LinkLeader] {
        var found: [UInt64: String] = [:]
        for entry in source where entry.kind == .file && entry.linkCount > 1 && earlier[entry.inode] == nil {
            if found[entry.inode] == nil { found[entry.inode] = entry.path }
        }
        guard !found.isEmpty else { return [:] }
        let firstNames = Set(found.values)
        var sent = Set<String>()
        for operation in plan.operations {
            switch operation {
            case .sendFile(let path, _, _) where firstNames.contains(path): sent.insert(path)
            case .rename(_, let to, _) where firstNames.contains(to): sent.insert(to)
            default: break
            }
        }
        return found.mapValues { path in
            let existing = replica[path]
            return LinkLeader(
                path: path, replicaInode: existing?.kind == .file ? existing?.inode : nil,
                sent: sent.contains(path))
        }
    }
}
