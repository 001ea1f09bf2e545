/// Computes the difference between a source tree and its replica as an ordered `SyncPlan`.
///
/// Pure: it sees two manifests (stat walks plus the hashes the file indexes already know) and decides.
/// Order matters and is fixed: removals of entries whose kind changed, new directories (parents first),
/// renames, content (files, symlinks, hard links), attribute-only updates, deletions, and last the
/// directories' own attributes, deepest first.
public struct SyncPlanner: Sendable {
    public struct Options: Sendable, Equatable {
        /// Compare and apply owner and group (the standby runs as root).
        public var compareOwnership: Bool
        /// Files smaller than this are sent whole: a signature round trip costs more than it saves.
        public var deltaThreshold: Int64

        /// On a LAN, a signature round trip costs more than sending a file of under 8 KiB whole.
        public static let localDeltaThreshold: Int64 = 8 * 1024
        /// Over a slow link, bytes cost more than a round trip: a file of 1 KiB or more goes as a delta when the
        /// other side has a copy (a 4 KiB edit of an 8 KB file then sends about 4.9 kB instead of 8 kB).
        public static let slowLinkDeltaThreshold: Int64 = 1024

        public init(compareOwnership: Bool, deltaThreshold: Int64 = Options.localDeltaThreshold) {
            self.compareOwnership = compareOwnership
            self.deltaThreshold = deltaThreshold
        }
    }

    public var options: Options

    public init(options: Options) {
        self.options = options
    }

    /// - Parameters:
    ///   - source: the source tree, root included as path "".
    ///   - replica: the replica tree, root included as path "".
    ///   - partials: replica paths for which an interrupted transfer left a partial copy, with its size.
    public func plan(source: [ManifestEntry], replica: [ManifestEntry], partials: [String: Int64] = [:]) -> SyncPlan {
        plan(
            source: source,
            replicaByPath: Dictionary(replica.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first }),
            partials: partials)
    }

    /// The same, with the replica keyed by path (as the primary keeps it between incremental manifests).
    /// - Parameter surroundings: for one slice of a sliced comparison, the directories above it and the hard-link
    ///   groups that began in earlier slices.
    public func plan(
        source: [ManifestEntry], replicaByPath original: [String: ManifestEntry],
        partials: [String: Int64] = [:], surroundings: SliceSurroundings = SliceSurroundings()
    ) -> SyncPlan {
        let replica = original.values
        // A scan comes sorted: then it is used as it is (a million entries are not copied to be sorted again).
        let sourceEntries =
            zip(source, source.dropFirst()).allSatisfy { $0.path < $1.path }
            ? source : source.sorted { $0.path < $1.path }
        // Only whether the source has a path is asked: a set of the paths (sharing their storage), not a copy of
        // every entry.
        let sourcePaths = Set(sourceEntries.lazy.map(\.path))
        var replicaByPath = original
        let earlierLeaders = surroundings.earlierLeaders
        let leaderOf = hardLinkLeaders(sourceEntries, earlier: earlierLeaders)

        var removals: [SyncOperation] = []
        var removedTrees = Set<String>()
        for entry in sourceEntries where !entry.path.isEmpty {
            if let existing = replicaByPath[entry.path], existing.kind != entry.kind {
                removals.append(.removeTree(path: entry.path))
                removedTrees.insert(entry.path)
                replicaByPath[entry.path] = nil
            }
        }
        func isUnderRemovedTree(_ path: String) -> Bool {
            if removedTrees.isEmpty { return false }
            var current: String? = path
            while let candidate = current {
                if removedTrees.contains(candidate) { return true }
                current = RelativePath.parent(candidate)
            }
            return false
        }

        // Replica files that the source no longer has: deletion candidates, or rename sources. A rename keeps
        // size and mtime (to the nanosecond), so those find the candidate; the standby checks the content hash
        // that travels with the rename before it moves anything.
        var renameSources: [RenameKey: [String]] = [:]
        for entry in replica where entry.kind == .file && entry.size > 0 && !sourcePaths.contains(entry.path) {
            guard !isUnderRemovedTree(entry.path) else { continue }
            renameSources[RenameKey(entry), default: []].append(entry.path)
        }
        for key in renameSources.keys { renameSources[key]?.sort(by: >) }
        var usedRenameSources = Set<String>()

        var directories: [SyncOperation] = []
        var renames: [SyncOperation] = []
        var content: [SyncOperation] = []
        var attributeUpdates: [SyncOperation] = []
        var changedLeaders = Set<String>()

        for entry in sourceEntries {
            let existing = replicaByPath[entry.path]
            switch entry.kind {
            case .directory:
                if existing == nil && !entry.path.isEmpty {
                    directories.append(.makeDirectory(path: entry.path))
                }
            case .symlink:
                if let existing, existing.linkTarget == entry.linkTarget {
                    if !attributesMatch(existing.attributes, entry.attributes, kind: .symlink) {
                        attributeUpdates.append(
                            .setAttributes(path: entry.path, kind: .symlink, attributes: entry.attributes))
                    }
                } else {
                    content.append(
                        .makeSymlink(path: entry.path, target: entry.linkTarget ?? "", attributes: entry.attributes))
                }
            case .file:
                if leaderOf[entry.path] != nil { continue }
                if let existing {
                    if contentMatches(existing, entry) {
                        if !attributesMatch(existing.attributes, entry.attributes, kind: .file) {
                            attributeUpdates.append(
                                .setAttributes(path: entry.path, kind: .file, attributes: entry.attributes))
                        }
                    } else {
                        let basis: DeltaBasis =
                            entry.size >= options.deltaThreshold && existing.size > 0 ? .replica : .none
                        content.append(.sendFile(path: entry.path, size: entry.size, basis: basis))
                        changedLeaders.insert(entry.path)
                    }
                    continue
                }
                changedLeaders.insert(entry.path)
                if entry.size > 0, let from = renameSources[RenameKey(entry)]?.popLast(),
                    replicaByPath[from]?.contentHash == nil || entry.contentHash == nil
                        || replicaByPath[from]?.contentHash == entry.contentHash
                {
                    usedRenameSources.insert(from)
                    renames.append(.rename(from: from, to: entry.path, contentHash: entry.contentHash))
                    if let moved = replicaByPath[from],
                        !attributesMatch(moved.attributes, entry.attributes, kind: .file)
                    {
                        attributeUpdates.append(
                            .setAttributes(path: entry.path, kind: .file, attributes: entry.attributes))
                    }
                    continue
                }
                let partialSize = partials[entry.path] ?? 0
                let basis: DeltaBasis = entry.size >= options.deltaThreshold && partialSize > 0 ? .partial : .none
                content.append(.sendFile(path: entry.path, size: entry.size, basis: basis))
            }
        }

        // Other names of a hard-linked file: linked to their leader unless they already share its inode.
        for entry in sourceEntries {
            guard let leader = leaderOf[entry.path] else { continue }
            // A leader from an earlier slice: what its slice did and saw there.
            let earlier = earlierLeaders[entry.inode].flatMap { $0.path == leader ? $0 : nil }
            let leaderChanged = earlier?.sent ?? changedLeaders.contains(leader)
            let leaderInode =
                earlier.map(\.replicaInode)
                ?? replicaByPath[leader].flatMap { $0.kind == .file ? $0.inode : nil }
            if !leaderChanged,
                let existing = replicaByPath[entry.path], existing.kind == .file,
                let leaderInode, leaderInode == existing.inode
            {
                continue
            }
            content.append(.makeHardLink(path: entry.path, target: leader))
        }
        content.sort { ($0.touchedPaths[0], rank($0)) < ($1.touchedPaths[0], rank($1)) }

        // Deletions: only the topmost gone entry of a gone subtree (a directory goes with what it holds).
        var deletions: [SyncOperation] = []
        let gone = replica.filter { !$0.path.isEmpty && !sourcePaths.contains($0.path) }.sorted { $0.path < $1.path }
        for entry in gone {
            guard !usedRenameSources.contains(entry.path),
                !isUnderRemovedTree(entry.path)
            else { continue }
            if let parent = RelativePath.parent(entry.path), !parent.isEmpty,
                !sourcePaths.contains(parent), replicaByPath[parent]?.kind == .directory
            {
                continue
            }
            deletions.append(.delete(path: entry.path))
        }
        deletions.reverse()

        var operations = removals + directories + renames + content + attributeUpdates + deletions

        // Directories whose children changed get their mtime back; so do new ones and changed ones.
        var touchedDirectories = Set<String>()
        for op in operations {
            for path in op.touchedPaths {
                if let parent = RelativePath.parent(path) { touchedDirectories.insert(parent) }
            }
            if case .makeDirectory(let path) = op { touchedDirectories.insert(path) }
        }
        var directoryAttributes: [SyncOperation] = []
        for entry in sourceEntries.reversed() where entry.kind == .directory {
            let existing = replicaByPath[entry.path]
            let differs = existing.map { !attributesMatch($0.attributes, entry.attributes, kind: .directory) } ?? true
            if differs || touchedDirectories.contains(entry.path) {
                directoryAttributes.append(.setDirectoryAttributes(path: entry.path, attributes: entry.attributes))
            }
        }
        // The directories above a slice, deepest first, when the slice changed something inside them.
        for entry in surroundings.directories.reversed() where touchedDirectories.contains(entry.path) {
            directoryAttributes.append(.setDirectoryAttributes(path: entry.path, attributes: entry.attributes))
        }
        operations += directoryAttributes
        return SyncPlan(operations: operations)
    }

    public func attributesMatch(_ replica: FileAttributes, _ source: FileAttributes, kind: EntryKind) -> Bool {
        if !replica.sameTime(as: source) { return false }
        if kind != .symlink && replica.mode != source.mode { return false }
        if options.compareOwnership && (replica.uid != source.uid || replica.gid != source.gid) { return false }
        return true
    }

    private func contentMatches(_ replica: ManifestEntry, _ source: ManifestEntry) -> Bool {
        guard replica.size == source.size, replica.attributes.sameTime(as: source.attributes) else { return false }
        if let a = replica.contentHash, let b = source.contentHash { return a == b }
        return true
    }

    /// Maps every non-leader name of a hard-link group to the group's leader (its first path, which may have come in
    /// an earlier slice).
    private func hardLinkLeaders(
        _ sorted: [ManifestEntry], earlier: [UInt64: SliceSurroundings.LinkLeader]
    ) -> [String: String] {
        var firstByInode: [UInt64: String] = earlier.mapValues(\.path)
        var leaderOf: [String: String] = [:]
        for entry in sorted where entry.kind == .file && entry.linkCount > 1 {
            if let leader = firstByInode[entry.inode] {
                leaderOf[entry.path] = leader
            } else {
                firstByInode[entry.inode] = entry.path
            }
        }
        return leaderOf
    }

    private func rank(_ op: SyncOperation) -> Int {
        if case .makeHardLink = op { return 1 }
        return 0
    }
}

private struct RenameKey: Hashable {
    var size: Int64
    var mtimeSeconds: Int64
    var mtimeNanoseconds: UInt32

    init(_ entry: ManifestEntry) {
        size = entry.size
        mtimeSeconds = entry.attributes.mtimeSeconds
        mtimeNanoseconds = entry.attributes.mtimeNanoseconds
    }
}
