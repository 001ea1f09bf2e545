/// Coalesces the changes captured in a share into batches for the mirror (pure; the time is an argument).
///
/// A change that comes after a quiet moment (none for `quietDelay`) while changes are sparse (fewer than
/// `sparseChanges` arrivals in the last `maxDelay`) is due at once, with whatever came in the same read of the
/// kernel's queue: a lone save reaches the replica without waiting. Otherwise changes are a burst, and a burst
/// becomes one batch: it is due once no change has arrived for `quietDelay`, or `maxDelay` after its first change,
/// whichever comes first, so a steady stream cannot hold changes back for long. (A pause in a burst, such as the
/// capture's reader waiting for a core, does not cut it into single-change batches: the burst is not sparse.) A file that is
/// still open and being written (`writing`) waits until it has been quiet for `openWriteQuiet` (its close usually
/// comes first and settles it), or `openWriteMax` after its first write, so a log written all day still reaches
/// the replica. The mirror compares the final state of each path, so order inside a batch does not matter;
/// what matters is that both ends of a rename travel in the same batch, which they do since they arrive together.
public struct ChangeAggregator: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var quietDelay: Double
        public var maxDelay: Double
        public var openWriteQuiet: Double
        public var openWriteMax: Double

        /// The group's defaults (`quiet_delay`, `max_delay`).
        public static let `default` = Configuration(
            quietDelay: GroupConfiguration.defaultQuietDelay.seconds,
            maxDelay: GroupConfiguration.defaultMaxDelay.seconds, openWriteQuiet: 1, openWriteMax: 10)

        public init(quietDelay: Double, maxDelay: Double, openWriteQuiet: Double = 1, openWriteMax: Double = 10) {
            self.quietDelay = quietDelay
            self.maxDelay = maxDelay
            self.openWriteQuiet = openWriteQuiet
            self.openWriteMax = openWriteMax
        }
    }

    /// What a flush hands to the mirror.
    public struct Batch: Sendable, Equatable {
        public var scope: [ScopedPath]
        /// When the oldest change in the batch was captured: the lag is measured from here.
        public var oldestChangeAt: Double
        /// Events were lost somewhere in this batch's period.
        public var overflowed: Bool
    }

    private struct Writing: Sendable {
        var firstAt: Double
        var lastAt: Double
    }

    public let configuration: Configuration
    private var settled: [String: Bool] = [:]  // path → recursive
    private var firstSettledAt: Double?
    /// When the last settled change arrived, in this batch or an earlier one (-infinity: none yet).
    private var lastSettledAt = -Double.infinity
    /// The batch began after a quiet moment while changes were sparse: it is due at once.
    private var leading = false
    /// When the last `sparseChanges` arrivals of settled changes came, oldest first.
    private var arrivals: [Double] = []
    /// At most this many arrivals in `maxDelay` and changes are sparse.
    public static let sparseChanges = 8
    private var writing: [String: Writing] = [:]
    private var overflowed = false

    public init(configuration: Configuration = .default) {
        self.configuration = configuration
    }

    public var isEmpty: Bool { settled.isEmpty && writing.isEmpty }
    public var pendingCount: Int { settled.count + writing.count }

    public mutating func record(_ changes: some Sequence<CapturedChange>, at now: Double) {
        for change in changes {
            switch change.kind {
            case .writing:
                if settled[change.path] != nil { continue }  // already going out with the next batch
                writing[change.path, default: Writing(firstAt: now, lastAt: now)].lastAt = now
                continue
            case .settled:
                settled[change.path] = settled[change.path] ?? false
            case .tree:
                settled[change.path] = true
            case .overflow:
                settled[change.path] = true
                overflowed = true
            }
            writing[change.path] = nil
            if firstSettledAt == nil {
                firstSettledAt = now
                leading = now - lastSettledAt >= configuration.quietDelay && isSparse(at: now)
            }
            if lastSettledAt != now {
                // One arrival per read of the kernel's queue, however many changes it brought.
                if arrivals.count == Self.sparseChanges { arrivals.removeFirst() }
                arrivals.append(now)
            }
            lastSettledAt = now
        }
    }

    /// Fewer than `sparseChanges` arrivals in the last `maxDelay`.
    private func isSparse(at now: Double) -> Bool {
        arrivals.count < Self.sparseChanges || now - arrivals[0] > configuration.maxDelay
    }

    /// When `flush(at:)` next has something to hand over; nil when nothing is pending.
    public var nextDeadline: Double? {
        var deadline: Double?
        if let first = firstSettledAt {
            deadline = leading ? first : min(lastSettledAt + configuration.quietDelay, first + configuration.maxDelay)
        }
        for entry in writing.values {
            let due = min(entry.lastAt + configuration.openWriteQuiet, entry.firstAt + configuration.openWriteMax)
            deadline = min(deadline ?? due, due)
        }
        return deadline
    }

    /// The batch due at `now`, if any: every settled change once the batch is due, plus the open files whose
    /// writes went quiet or that have been written for too long.
    public mutating func flush(at now: Double) -> Batch? {
        var scope: [ScopedPath] = []
        var oldest = Double.infinity
        if let first = firstSettledAt,
            leading || now >= min(lastSettledAt + configuration.quietDelay, first + configuration.maxDelay)
        {
            scope = settled.map { ScopedPath($0.key, recursive: $0.value) }
            oldest = first
            settled.removeAll(keepingCapacity: true)
            firstSettledAt = nil
            leading = false
        }
        for (path, entry) in writing
        where now >= min(entry.lastAt + configuration.openWriteQuiet, entry.firstAt + configuration.openWriteMax) {
            scope.append(ScopedPath(path, recursive: false))
            oldest = min(oldest, entry.firstAt)
            writing[path] = nil
        }
        guard !scope.isEmpty else { return nil }
        defer { overflowed = false }
        return Batch(scope: ScopedPath.minimal(scope), oldestChangeAt: oldest, overflowed: overflowed)
    }
}
