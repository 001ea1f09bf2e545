/// The primary's record of changes the standby has not yet acknowledged, for one share (pure; times are
/// arguments). Each batch from the aggregator gets the next sequence number; a live sync takes everything
/// recorded so far (`scope()`), and the standby's acknowledgement — sent only once the replica is durable —
/// removes what that sync covered, except paths that failed, which stay for the next one.
///
/// The journal lives as long as the daemon's change capture, which is what makes it trustworthy: it starts
/// before the first full comparison, so every change after that comparison's scan is in it. Its `captureID`
/// tells a standby's saved acknowledgement from an earlier run's, after which only a full comparison is safe
/// (inotify sees nothing while the daemon is down).
public struct ChangeJournal: Sendable {
    public struct Entry: Sendable, Equatable {
        public var recursive: Bool
        public var sequence: UInt64
        /// The first unacknowledged capture of this path: the lag is measured from here.
        public var capturedAt: Double

        public init(recursive: Bool, sequence: UInt64, capturedAt: Double) {
            self.recursive = recursive
            self.sequence = sequence
            self.capturedAt = capturedAt
        }
    }

    /// Past this many paths the journal coarsens: the deepest paths give way to their parent directories (each
    /// compared whole), level by level, until half as many entries remain. A long outage or a peak on a slow link
    /// then costs a stat walk of the directories that changed, never of the whole share unless every change was at
    /// its top; the journal's memory (and, kept on disk, its size) stays bounded.
    public static let maximumEntries = 100_000

    public let captureID: UInt64
    public private(set) var sequence: UInt64 = 0
    public private(set) var entries: [String: Entry] = [:]

    public init(captureID: UInt64) {
        self.captureID = captureID
    }

    /// A journal as it was kept (on disk): its capture, its last sequence and its entries.
    public init(captureID: UInt64, sequence: UInt64, entries: [String: Entry]) {
        self.captureID = captureID
        self.sequence = sequence
        self.entries = entries
    }

    public var count: Int { entries.count }

    /// When the oldest unacknowledged change was captured; the lag is the time since.
    public var oldestCapturedAt: Double? { entries.values.lazy.map(\.capturedAt).min() }

    public mutating func record(_ batch: ChangeAggregator.Batch) {
        record(batch.scope, capturedAt: batch.oldestChangeAt)
    }

    public mutating func record(_ scope: [ScopedPath], capturedAt: Double) {
        guard !scope.isEmpty else { return }
        sequence += 1
        for item in scope {
            let previous = entries[item.path]
            entries[item.path] = Entry(
                recursive: item.recursive || (previous?.recursive ?? false), sequence: sequence,
                capturedAt: min(previous?.capturedAt ?? capturedAt, capturedAt))
        }
        if entries.count > Self.maximumEntries { coarsen(to: Self.maximumEntries / 2) }
    }

    /// Replaces the deepest paths by their parent directories (compared whole), level by level, until at most
    /// `limit` entries remain. Each parent keeps the latest sequence and the oldest capture of what it stands for.
    mutating func coarsen(to limit: Int) {
        while entries.count > limit {
            let depth = { (path: String) in path.isEmpty ? 0 : path.utf8.count(where: { $0 == UInt8(ascii: "/") }) + 1 }
            let deepest = entries.keys.lazy.map(depth).max() ?? 0
            guard deepest > 0 else { return }
            var coarser: [String: Entry] = [:]
            coarser.reserveCapacity(entries.count)
            for (path, entry) in entries {
                let isDeepest = depth(path) == deepest
                let target = isDeepest ? RelativePath.parent(path) ?? "" : path
                let merged = Entry(
                    recursive: entry.recursive || isDeepest, sequence: entry.sequence, capturedAt: entry.capturedAt)
                if let previous = coarser[target] {
                    coarser[target] = Entry(
                        recursive: previous.recursive || merged.recursive,
                        sequence: max(previous.sequence, merged.sequence),
                        capturedAt: min(previous.capturedAt, merged.capturedAt))
                } else {
                    coarser[target] = merged
                }
            }
            entries = coarser
        }
    }

    /// What a live sync starting now must compare, and the sequence its acknowledgement will cover.
    /// Each path's parent directory is compared too: replacing a file on the replica (a temporary renamed into
    /// place) touches the directory there, and its times must end up as the source's.
    public func scope() -> (scope: [ScopedPath], upTo: UInt64) {
        var scope = entries.map { ScopedPath($0.key, recursive: $0.value.recursive) }
        var parents = Set<String>()
        for path in entries.keys { if let parent = RelativePath.parent(path) { parents.insert(parent) } }
        scope += parents.map { ScopedPath($0, recursive: false) }
        return (ScopedPath.minimal(scope), sequence)
    }

    /// The standby made everything recorded up to `upTo` durable, except `failed` paths (files it could not
    /// apply, files that changed while read), which stay for the next sync.
    public mutating func acknowledge(upTo: UInt64, failed: some Sequence<String>, at now: Double) {
        var oldest = now
        entries = entries.filter { _, entry in
            if entry.sequence > upTo { return true }
            oldest = min(oldest, entry.capturedAt)
            return false
        }
        for path in failed where entries[path] == nil {
            entries[path] = Entry(recursive: false, sequence: sequence, capturedAt: oldest)
        }
    }
}
