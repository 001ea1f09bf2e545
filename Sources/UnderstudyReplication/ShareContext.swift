import Logging
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyState
import UnderstudySupport
import UnderstudyTransport

/// What a sync session of one share needs from the daemon around it.
public struct ShareContext: Sendable {
    /// The group's configuration as the node runs it now (a reload may change it in place: `ShareSettings`).
    public var group: GroupConfiguration { settings.group }
    /// The share's configuration as the node runs it now.
    public var share: ShareConfiguration { settings.share }
    /// Where `group` and `share` are kept, shared by every copy of this context.
    package let settings: ShareSettings
    /// "GROUP/SHARE".
    public let key: String
    /// The group's and the share's names (read without a lock, as often as each file).
    public let groupName: String
    public let shareName: String
    /// This node's tree of the share: the source on the configured primary, the replica on the standby. It serves
    /// while this node holds the group and follows the holder otherwise.
    public var localPath: String
    public var index: ShareIndex
    public var status: StatusRegistry
    public var database: StateDatabase
    public var logger: Logger
    /// The node's clock (tests give a manual one).
    public var clock: any EngineClock
    /// Files whose delta did not reproduce the source (a false block match): sent whole next time.
    let sendWhole = PathSet()
    /// Renames the follower refused ("from\0to": the supposed source holds other content): sent as files instead.
    let refusedRenames = PathSet()
    /// Paths the follower's file system cannot name (too long for it, not in its encoding): left out of the mirror
    /// until the daemon restarts, rather than retried for ever.
    let unusablePaths = PathSet()
    /// Path problems told once (see `PathWarnings`).
    package let pathWarnings = PathWarnings()
    /// The replica is known to be this share's (see `ReplicaAdoption`): checked once, then trusted.
    package let replicaAdopted = NIOLockedValueBox(false)
    /// How to capture changes of a live group's share while this node serves it (nil: not live).
    package var captureConfiguration: ChangeAggregator.Configuration?
    /// Which kernel mechanism captures them (`change_capture` of this node).
    package var captureMethod = ChangeCaptureMethod.auto
    /// The change capture running while this node serves the share.
    let captureSlot = NIOLockedValueBox<ShareCapture?>(nil)
    package var capture: ShareCapture? { captureSlot.withLockedValue { $0 } }
    /// The group's bandwidth limit (shared by its shares), on the primary; nil when unlimited.
    package var throttle: BandwidthThrottle?
    /// The limit of the hop to the off-site node, on the node that feeds it; nil when unlimited.
    package var offsiteThrottle: BandwidthThrottle?
    /// The zstd level of what this node sends of the share (1 to the standby; the group's `offsite_compression` to the
    /// off-site node).
    package var compressionLevel: Int32 = 1
    /// One writer of the replica at a time (a sync, an archive, an in-place restore); shared by every copy.
    package let replicaGate = ReplicaGate()
    /// History and archives of the replica (standby).
    package let archiving = ShareArchiving()
    /// Whether the replica's file system has room (standby): a shortage stops this group's mirror until it has.
    package let room = NIOLockedValueBox(ReplicaRoom())
    /// What this node changed in its tree for the group's off-site node: kept from the start on the standby, which
    /// feeds it; on the primary only once the off-site node came to it (the standby out of its reach); nil elsewhere.
    package let relaySlot = NIOLockedValueBox<RelayJournal?>(nil)
    package var relay: RelayJournal? { relaySlot.withLockedValue { $0 } }
    /// The small-file dictionary of the hop to the off-site node (`DictionaryTrainer`), on the node that feeds it.
    package let dictionarySlot = DictionarySlot()
    /// The figures of the hop to the off-site node (what the syncs served to it write), apart from this share's own.
    package var hopStatus: StatusRegistry?
    /// Where the replica's writers ask for `syncfs`: the node's, shared by its shares (group commit).
    package var fileSystemSync = FileSystemSync.shared

    /// The relay journal, started now if this node has none yet (the primary, which the off-site node came to): a new
    /// run, so the off-site node compares the trees once.
    package func startRelay() throws -> RelayJournal {
        try relaySlot.withLockedValue { slot in
            if let slot { return slot }
            let fresh = try RelayJournal(key: key, database: database, clock: clock, logger: logger, trusted: false)
            slot = fresh
            return fresh
        }
    }

    /// This share as served to the off-site node: the same tree, its figures kept apart (`hopStatus`).
    package var offsiteHop: ShareContext? {
        guard relay != nil, let hopStatus else { return nil }
        var hop = self
        hop.status = hopStatus
        hop.compressionLevel = Int32(group.offsiteCompression)
        return hop
    }

    public init(
        group: GroupConfiguration, share: ShareConfiguration, localPath: String? = nil, index: ShareIndex,
        status: StatusRegistry,
        database: StateDatabase, logger: Logger, clock: any EngineClock
    ) {
        settings = ShareSettings(group: group, share: share)
        key = "\(group.name)/\(share.name)"
        groupName = group.name
        shareName = share.name
        self.localPath = localPath ?? share.replica
        self.index = index
        self.status = status
        self.database = database
        self.logger = logger
        self.clock = clock
    }

    /// Seconds on the clock's monotonic reading.
    public func now() -> Double { clock.monotonicSeconds() }

    /// Starts capturing changes (a node that begins serving the share); the first sync of a new capture compares
    /// the whole tree, so nothing from before is missed.
    package func startCapture() {
        guard let captureConfiguration else { return }
        let fresh = ShareCapture(context: self, configuration: captureConfiguration)
        let previous = captureSlot.withLockedValue { slot -> ShareCapture? in
            defer { slot = fresh }
            return slot
        }
        previous?.stop()
        fresh.start()
    }

    package func stopCapture() {
        captureSlot.withLockedValue { slot -> ShareCapture? in
            defer { slot = nil }
            return slot
        }?.stop()
    }

    func event(_ level: EventLevel, _ kind: EventKind, _ message: String) {
        EventLog(database: database, clock: clock, logger: logger).record(level, kind, message, share: key)
    }
}

/// Logs "files/bytes, rate, ETA" at most every few seconds while a transfer runs.
struct ProgressLogger {
    let interval: Double
    var lastLog: Double

    init(interval: Double = 5, now: Double) {
        self.interval = interval
        lastLog = now
    }

    mutating func maybeLog(_ context: ShareContext, _ prefix: String) {
        let now = context.now()
        guard now - lastLog >= interval,
            let progress = context.status.progress(group: context.groupName, share: context.shareName)
        else { return }
        lastLog = now
        context.logger.info("\(prefix) \(context.key): \(progress.line(now: now))")
    }
}

/// A set of strings shared between tasks: share paths of a primary, share keys and archive names of the archive
/// service. `insert` and `remove` tell whether they changed the set.
package final class PathSet: Sendable {
    private let paths = NIOLockedValueBox<Set<String>>([])

    package init() {}

    @discardableResult package func insert(_ path: String) -> Bool {
        paths.withLockedValue { $0.insert(path).inserted }
    }
    package func contains(_ path: String) -> Bool { paths.withLockedValue { $0.contains(path) } }
    @discardableResult package func remove(_ path: String) -> Bool { paths.withLockedValue { $0.remove(path) != nil } }
    var all: Set<String> { paths.withLockedValue { $0 } }
}
