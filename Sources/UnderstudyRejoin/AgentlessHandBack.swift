#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyReplication
import UnderstudySession
import UnderstudySupport
import UnderstudyWire

/// `understudy failback` of an agentless group, for one share: what changed on the replica while this node served
/// the group goes back to the primary's share through its mount, never over a version that changed there too.
/// The three trees of a rejoin decide (`RejoinPlanner`): the primary's share now (local), the replica now (remote,
/// the live data), and the replica as it was at the takeover (the base). A version on the primary that differs from
/// the base and from the replica — written there after the last scan, or while both served — is first kept in the
/// replica as a conflict copy named for the primary (and recorded, as `conflicts list` shows); then the primary's
/// share is brought to the replica's state, each file written to a temporary there and renamed over its name. So
/// both versions end up on both sides, and the scans that follow find the two trees equal.
package struct AgentlessHandBack {
    package struct Outcome: Sendable {
        /// Files written into the primary's share, and entries removed from it.
        package var copied: Int64
        package var removed: Int
        /// The primary's versions kept as conflict copies (their names in the share).
        package var conflicts: [String]
        package var failures: Int
        package var seconds: Double
    }

    let node: any RejoinNode
    let context: ShareContext
    let applyOwnership: Bool

    package init(node: any RejoinNode, context: ShareContext, applyOwnership: Bool) {
        self.node = node
        self.context = context
        self.applyOwnership = applyOwnership
    }

    /// - Parameter epoch: the takeover whose base decides (the epoch this node holds the group at).
    package func run(epoch: UInt64) async throws -> Outcome {
        let started = node.clock.monotonicSeconds()
        let source = context.share.source
        // What reads or writes the mount runs on a thread of its own: a hung server blocks that thread, not the daemon.
        let mount = try await onThread { try AgentlessShareSync.checkSource(source) }
        // Owners are set where the mount can take them (NFS without root_squash, sshfs as root); SMB and the others
        // map them themselves, and every file would fail.
        let owners = applyOwnership && ["nfs", "nfs4", "fuse.sshfs"].contains(mount.type)
        guard let base = try RejoinBase.load(context, epoch: epoch) else {
            throw NodeError(
                .badRequest,
                "no record of \(context.key)'s replica at the takeover (epoch \(epoch)): without it no version on \(context.group.primary) can be told apart from an older one, so nothing is copied back"
            )
        }
        await context.replicaGate.acquire()
        defer { context.replicaGate.release() }
        let filter = context.share.filter
        let whole = [ScopedPath("", recursive: true)]
        let primary = try await TreeScanner.offThePool(path: source, create: false, filter: filter, scope: whole)
        let replica = try await TreeScanner.offThePool(
            path: context.localPath, create: false, filter: filter, scope: whole, index: context.index)
        let plan = RejoinPlanner().plan(
            local: Self.byPath(primary.entries), remote: Self.byPath(replica.entries), base: Self.byPath(base))
        let handBack = self
        let conflicts = try await onThread { try handBack.keepConflicts(plan.conflicts, source: source) }
        let (copied, removed, failures) = try await bringPrimaryToReplica(
            source: source, scanned: primary, owners: owners)
        return Outcome(
            copied: copied, removed: removed, conflicts: conflicts, failures: failures,
            seconds: node.clock.monotonicSeconds() - started)
    }

    /// Each of the primary's conflicting versions, copied into the replica under a conflict name (recorded first, so
    /// a crash after the copy still knows why it exists).
    private func keepConflicts(_ conflicts: [RejoinPlanner.Conflict], source: String) throws -> [String] {
        guard !conflicts.isEmpty else { return [] }
        let reader = try SourceReader(share: try ShareDirectory(path: source, create: false))
        let writer = try ReplicaWriter(
            share: try ShareDirectory(path: context.localPath, create: false),
            options: ReplicaWriter.Options(applyOwnership: applyOwnership))
        var kept: [String] = []
        for conflict in conflicts where conflict.local.kind == .file {
            let copy = ConflictName.make(
                for: conflict.path, node: context.group.primary, time: node.clock.wallSeconds())
            try node.database.recordConflict(
                ConflictInfo(
                    id: 0, share: context.key, path: conflict.path, copy: copy, node: context.group.primary,
                    reason: conflict.reason.rawValue, foundAt: node.clock.wallTime(), copySize: conflict.local.size,
                    copyModified: conflict.local.attributes.modified))
            // Beside its name, whose directory the replica may no longer have (deleted here since the takeover).
            var directory = ""
            for component in copy.split(separator: "/").dropLast() {
                directory += (directory.isEmpty ? "" : "/") + component
                var info = stat()
                if lstat(context.localPath + "/" + directory, &info) != 0 {
                    try writer.apply(.makeDirectory(path: directory))
                }
            }
            _ = try reader.copy(conflict.path, to: copy, into: writer)
            node.logger.warning(
                "failback of \(context.key): \(conflict.path) changed on \(context.group.primary) since the takeover and is not this node's version (\(conflict.reason.rawValue)): kept as \(copy)"
            )
            kept.append(copy)
        }
        try writer.makeDurable()
        context.index.apply(records: writer.takeIndexChanges().records, removed: [])
        return kept
    }

    /// The primary's share made the replica's: the same planner as a sync, the replica as the source.
    /// - Parameter scanned: the primary's tree as the conflicts were judged by: what changed there since is not
    ///   overwritten (nor removed) but reported, and the failback fails.
    private func bringPrimaryToReplica(
        source: String, scanned primary: TreeScanner.Result, owners: Bool
    ) async throws -> (copied: Int64, removed: Int, failures: Int) {
        // The replica again, with the conflict copies just made (nothing else writes to it: its services stopped).
        let replica = try await TreeScanner.offThePool(
            path: context.localPath, create: false, filter: context.share.filter,
            scope: [ScopedPath("", recursive: true)], index: context.index)
        let handBack = self
        return try await onThread {
            try handBack.write(replica.entries, over: primary, at: source, owners: owners)
        }
    }

    /// Applies the replica's tree over the primary's (`primary`: its scan) with a writer on the mount.
    private func write(
        _ replica: [ManifestEntry], over primary: TreeScanner.Result, at source: String, owners: Bool
    ) throws -> (
        copied: Int64, removed: Int, failures: Int
    ) {
        let reader = try SourceReader(share: try ShareDirectory(path: context.localPath, create: false))
        let target = try ShareDirectory(path: source, create: false)
        let writer = try ReplicaWriter(share: target, options: ReplicaWriter.Options(applyOwnership: owners))
        writer.removeTemporaries(primary.temporaries)
        let scanned = Self.byPath(primary.entries)
        let planned = SourcePlanning(planner: SyncPlanner(options: .init(compareOwnership: owners))).plan(
            source: replica, replica: scanned, partials: [:], digests: nil,
            indexedHash: { $0.contentHash }, readHash: { reader.hash(path: $0) })
        var failures = 0
        for operation in planned.plan.operations {
            if let changed = Self.replaced(by: operation).first(where: { !Self.unchanged($0, scanned, at: source) }) {
                failures += 1
                node.logger.warning(
                    "failback of \(context.key): \(RelativePath.shown(changed)) changed on \(context.group.primary) during the failback; left as it is (run the failback again)"
                )
                continue
            }
            do {
                if case .sendFile(let path, _, _) = operation {
                    _ = try reader.copy(path, to: path, into: writer)
                } else {
                    try writer.apply(operation)
                }
            } catch {
                failures += 1
                node.logger.warning(
                    "failback of \(context.key): could not write \(RelativePath.shown(operation.touchedPaths.last ?? "")) on \(context.group.primary): \(error)"
                )
            }
        }
        try writer.makeDurable()
        let summary = planned.plan.summary
        return (writer.filesApplied, summary.deletions, failures)
    }

    /// The primary's entries a step replaces, moves or removes.
    private static func replaced(by operation: SyncOperation) -> [String] {
        switch operation {
        case .sendFile(let path, _, _), .makeSymlink(let path, _, _), .makeHardLink(let path, _),
            .setAttributes(let path, _, _), .delete(let path), .removeTree(let path):
            [path]
        case .rename(let from, let to, _): [from, to]
        case .makeDirectory, .setDirectoryAttributes: []
        }
    }

    /// `path` on the primary is as the scan found it (same kind, size and modification time), or absent as it was.
    private static func unchanged(_ path: String, _ scanned: [String: ManifestEntry], at source: String) -> Bool {
        var info = stat()
        guard lstat(source + "/" + path, &info) == 0 else { return scanned[path] == nil }
        guard let entry = scanned[path] else { return false }
        if entry.kind == .directory { return (info.st_mode & S_IFMT) == S_IFDIR }
        return Int64(info.st_size) == entry.size && Int64(info.st_mtim.tv_sec) == entry.attributes.mtimeSeconds
            && Int64(info.st_mtim.tv_nsec) == Int64(entry.attributes.mtimeNanoseconds)
    }

    private static func byPath(_ entries: [ManifestEntry]) -> [String: ManifestEntry] {
        Dictionary(entries.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
