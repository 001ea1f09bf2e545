import UnderstudyCore
import UnderstudyWire

/// The primary's side of a full comparison made in slices of the share, in path order (`PathSlice`), so that a large
/// tree is never held whole on either node: each slice is a sync of its own (`PrimarySyncMachine`), and this carries
/// what one slice tells the next. Pure: the I/O code walks the source and receives the replica's slice.
///
/// Both nodes walk the slice up to its limit; the slice then covers the paths up to the last one both walks reached
/// (`cut`), and the next one starts after it. The journal point of the comparison is acknowledged once, by the last
/// slice. A file renamed across two slices goes as a new file (its old name is deleted by its own slice); a hard-link
/// group across slices is linked to its first name (`SliceSurroundings`).
package struct SlicedComparison: Sendable {
    package let limit: Int
    package let upTo: ResumePoint
    package let captureComplete: Bool
    /// Where the current slice starts (nil: at the beginning).
    package private(set) var after: String?
    /// Whether another slice follows the current one (known once it is cut).
    package private(set) var follows = false
    package private(set) var earlierLeaders: [UInt64: SliceSurroundings.LinkLeader] = [:]
    /// Slices compared so far (the current one included once cut).
    package private(set) var slices = 0
    /// When the comparison began (for its duration), and the figures of its slices so far.
    package let started: Double
    package private(set) var summary = SyncPlanSummary()
    package private(set) var report = SyncDoneReport(filesApplied: 0, bytesWritten: 0, failures: 0)
    /// A verification's figures so far: files compared by content, and those whose content differed.
    package private(set) var compared = 0
    package private(set) var mismatches: [String] = []
    /// Every directory of the source the slices found so far (the primary's file index keeps records of no other).
    package private(set) var directories: Set<String> = []

    package init(limit: Int, upTo: ResumePoint, captureComplete: Bool, started: Double = 0) {
        precondition(limit > 0, "a slice holds at least one entry")
        self.limit = limit
        self.upTo = upTo
        self.captureComplete = captureComplete
        self.started = started
    }

    /// A verification's slice compared its files by content.
    package mutating func verified(compared: Int, mismatches: [String]) {
        self.compared += compared
        self.mismatches += mismatches
    }

    /// The source's directories a slice found.
    package mutating func found(directories found: some Sequence<String>) {
        directories.formUnion(found)
    }

    /// The figures of a slice done.
    package mutating func add(summary: SyncPlanSummary, report: SyncDoneReport) {
        self.summary = self.summary + summary
        self.report = self.report + report
    }

    /// The scope of the current slice.
    package var scope: SyncScope {
        SyncScope(
            paths: nil, upTo: upTo, captureComplete: captureComplete, slice: PathSlice(after: after, limit: limit))
    }

    /// The current slice's two sides, trimmed to the paths both walks covered: a walk that stopped at its limit
    /// covered the tree up to its last entry, one that did not covered the rest of it.
    /// - Parameter source: the source's slice, sorted; `sourceComplete`: its walk reached the end of the tree.
    /// - Parameter replica: the replica's slice, as the standby described it (it sends at most `limit` entries).
    package mutating func cut(
        source: inout [ManifestEntry], sourceComplete: Bool, replica: inout [String: ManifestEntry]
    ) {
        precondition(!follows, "a slice is cut once, then the next one begins")
        // Nothing before the slice is planned in it: an entry there would read as gone from the source.
        if let start = after, replica.keys.contains(where: { $0 <= start }) {
            replica = replica.filter { $0.key > start }
        }
        var bound: String?
        if !sourceComplete, let last = source.last?.path { bound = last }
        if replica.count >= limit, let last = replica.keys.max() { bound = bound.map { min($0, last) } ?? last }
        slices += 1
        guard let bound else { return }
        if let end = source.firstIndex(where: { $0.path > bound }) { source.removeSubrange(end...) }
        if replica.keys.contains(where: { $0 > bound }) { replica = replica.filter { $0.key <= bound } }
        follows = true
        after = bound
    }

    /// What the plan of the current slice needs from the slices before it.
    package func surroundings(context: [ManifestEntry]) -> SliceSurroundings {
        SliceSurroundings(directories: context, earlierLeaders: earlierLeaders)
    }

    /// The current slice was planned: the hard-link groups that begin in it are carried to the next.
    package mutating func planned(
        _ plan: SyncPlan, source: [ManifestEntry], replica: [String: ManifestEntry]
    ) {
        guard follows else { return }
        earlierLeaders.merge(
            SliceSurroundings.leaders(beginningIn: source, replica: replica, plan: plan, earlier: earlierLeaders),
            uniquingKeysWith: { first, _ in first })
    }

    /// The current slice is done: the scope of the next one, or nil when it was the last.
    package mutating func next() -> SyncScope? {
        guard follows else { return nil }
        follows = false
        return scope
    }
}
