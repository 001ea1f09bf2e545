/// What a node that served a group (its tree was the live data) must do before it follows the node that holds the
/// group now, decided by three trees:
/// - local: this node's tree now;
/// - remote: the serving node's tree now;
/// - base: the serving node's replica as it was when it took the group over (its file index at that epoch): the
///   last state the two trees shared.
///
/// A local file equal to its base version did not change here since the takeover: the serving node's version (or
/// its deletion) wins. A local file that differs from the base and from the remote one changed here after the last
/// replicated state — written just before a crash, or while both nodes served — and is never overwritten: it is
/// kept as a conflict copy in the serving tree. "Equal" is size, modification time and, when both are known,
/// content hash, compared with the version the other side received, never "which is newer" by clocks.
public struct RejoinPlanner: Sendable {
    public struct Conflict: Sendable, Equatable {
        public enum Reason: String, Sendable, Codable {
            /// Changed here and there since the takeover.
            case changedOnBoth = "changed-on-both"
            /// A version the serving node never received (not replicated before the takeover).
            case notReplicated = "not-replicated"
            /// Deleted there since the takeover, changed here.
            case deletedThere = "deleted-there"
        }

        public var path: String
        public var local: ManifestEntry
        public var remote: ManifestEntry?
        public var reason: Reason
    }

    public struct Plan: Sendable, Equatable {
        /// Local versions to keep as conflict copies before following.
        public var conflicts: [Conflict] = []
        /// Conflict copies already here (an interrupted rejoin made them) that the serving node lacks.
        public var pushes: [String] = []
        /// Files the follow will bring from the serving node (new or changed there).
        public var copies: [String] = []
        /// Files the follow will delete here (deleted there, unchanged here).
        public var deletions: [String] = []
        /// Files deleted here after the last replicated state that the serving node still has: they come back.
        public var restored: [String] = []

        public var isClean: Bool { conflicts.isEmpty && pushes.isEmpty }
    }

    public init() {}

    public func plan(
        local: [String: ManifestEntry], remote: [String: ManifestEntry], base: [String: ManifestEntry]
    ) -> Plan {
        var plan = Plan()
        for path in Set(local.keys).union(remote.keys).sorted() {
            let mine = local[path]
            let theirs = remote[path]
            if let mine, mine.kind == .file, ConflictName.isConflictCopy(path) {
                if theirs == nil { plan.pushes.append(path) }
                continue
            }
            if Self.same(mine, theirs) { continue }
            let was = base[path]
            if Self.same(mine, was) {
                if theirs?.kind == .file {
                    plan.copies.append(path)
                } else if theirs == nil, mine?.kind == .file {
                    plan.deletions.append(path)
                }
                continue
            }
            guard let mine, mine.kind == .file else {
                // Deleted here (or a directory or link changed here): the serving node's entry is kept.
                if mine == nil, theirs?.kind == .file {
                    plan.restored.append(path)
                } else if theirs?.kind == .file {
                    plan.copies.append(path)
                }
                continue
            }
            let reason: Conflict.Reason
            switch (theirs, was) {
            case (nil, .some): reason = .deletedThere
            case (nil, nil): reason = .notReplicated
            case (.some(let theirs), let was):
                reason = was != nil && Self.same(theirs, was) ? .notReplicated : .changedOnBoth
            }
            plan.conflicts.append(Conflict(path: path, local: mine, remote: theirs, reason: reason))
        }
        return plan
    }

    /// The same version: same kind, and for files the same size, modification time and (when both are known)
    /// content; for links the same target.
    public static func same(_ a: ManifestEntry?, _ b: ManifestEntry?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        guard a.kind == b.kind else { return false }
        switch a.kind {
        case .directory:
            return true
        case .symlink:
            return a.linkTarget == b.linkTarget
        case .file:
            guard a.size == b.size, a.attributes.sameTime(as: b.attributes) else { return false }
            if let one = a.contentHash, let other = b.contentHash { return one == other }
            return true
        }
    }
}
