#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyState
import UnderstudySupport
import UnderstudyReplication
import UnderstudyTransport

/// What every part of a running node shares, as named parts: who the node is (`identity`), its shares, state
/// database, live status, who holds each group (`ownerships`), the event log (`events`), the clock and the news
/// streams. Only the composition root sees it: each module takes it as the protocol of the node it declared
/// (`NodeRuntime+Parts`).
public final class NodeRuntime: Sendable {
    /// Who this node is (name, configuration, its own settings, start time). Its configuration is the one the node
    /// runs: a reload changes it (`changeConfiguration`).
    public var identity: LocalNode { identityBox.withLockedValue { $0 } }
    private let identityBox: NIOLockedValueBox<LocalNode>
    public var configuration: ClusterConfiguration { identity.configuration }
    public var name: String { identity.name }
    public let logger: Logger
    public let database: StateDatabase
    public let status: StatusRegistry
    /// The shares of the node's groups.
    package let shares: ShareTable
    /// The one clock of the node's parts (tests give a `ManualClock`).
    public let clock: any EngineClock
    /// Who holds each group, as this node knows it, and the news of each change of holder.
    package let ownerships: OwnershipTable
    /// The node's log of events.
    package let events: EventLog
    /// Where its replicas' writers ask for `syncfs`: the shares that ask at the same time share one.
    package let fileSystemSync = FileSystemSync()

    /// - Parameter notifier: hands an event to the notification channels (the daemon's `NotificationService`).
    /// - Parameter cleanStart: the last run stopped cleanly (else what it was writing is not known for sure).
    public init(
        configuration: ClusterConfiguration, name: String, logger: Logger, clock: any EngineClock = SystemClock(),
        notifier: @escaping @Sendable (NotificationEvent) -> Void = { _ in }, cleanStart: Bool = true
    ) throws {
        let nodeConfiguration = try Self.settings(of: name, in: configuration)
        self.notifier = notifier
        let identityBox = NIOLockedValueBox(
            LocalNode(
                name: name, configuration: configuration, settings: nodeConfiguration, startedAt: clock.wallTime(),
                appliesOwnership: geteuid() == 0))
        self.identityBox = identityBox
        self.logger = logger
        self.clock = clock
        let now: @Sendable () -> Double = { clock.monotonicSeconds() }
        database = try StateDatabase(directory: nodeConfiguration.stateDirectory)
        events = EventLog(database: database, clock: clock, logger: logger)
        var groups: [GroupStatus] = []
        var contexts: [ShareKey: ShareContext] = [:]
        let status = StatusRegistry([])
        // The hops to off-site nodes this node feeds, each as a group seen from the sending side.
        let hops = StatusRegistry([])
        for group in configuration.groups(whereNode: name) {
            let isPrimary = group.primary == name
            // Unlimited ones too: a reload may set a limit (`applyBandwidth`).
            let throttle = BandwidthThrottle(limit: group.bandwidth, now: now)
            let offsiteThrottle = BandwidthThrottle(limit: group.offsiteBandwidth, now: now)
            var shares: [ShareStatus] = []
            for share in group.shares {
                let key = "\(group.name)/\(share.name)"
                var (context, shareStatus) = try Self.memberShare(
                    share, of: group, node: nodeConfiguration, isPrimary: isPrimary, database: database,
                    status: status, logger: logger, clock: clock)
                shares.append(shareStatus)
                context.throttle = throttle
                context.fileSystemSync = fileSystemSync
                if group.offsite != nil {
                    // Both may feed the off-site node: the standby always, the primary while the standby is out of
                    // its reach.
                    context.offsiteThrottle = offsiteThrottle
                    context.hopStatus = hops
                }
                if group.offsite != nil && group.offsiteFeeder == name {
                    // Not to be trusted when the tree may have changed unseen: held while the daemon was down, or
                    // a sync cut short by a crash.
                    let heldAtStart = try database.loadOwnership(group: group.name)?.owner == name
                    let relay = try RelayJournal(
                        key: key, database: database, clock: clock, logger: logger,
                        trusted: cleanStart && !heldAtStart)
                    context.relaySlot.withLockedValue { $0 = relay }
                }
                contexts[ShareKey(group: group.name, share: share.name)] = context
            }
            if let offsite = group.offsite {
                hops.add(
                    GroupStatus(
                        name: group.name, role: .primary, peer: offsite, peerConnected: false,
                        shares: group.shares.map {
                            ShareStatus(name: $0.name, path: $0.replica, state: .disconnected)
                        }))
            }
            groups.append(
                GroupStatus(
                    name: group.name, role: isPrimary ? .primary : .standby,
                    peer: isPrimary ? group.standby : group.primary, peerConnected: false, shares: shares))
        }
        for group in configuration.groups(offsiteOf: name) {
            var shares: [ShareStatus] = []
            for share in group.shares {
                let key = "\(group.name)/\(share.name)"
                var shareStatus = ShareStatus(name: share.name, path: share.offsiteReplica, state: .initialSync)
                if let saved = try database.loadSyncStatus(share: key) {
                    shareStatus.lastSyncAt = saved.lastSyncAt
                    shareStatus.bytesReceived = saved.bytesReceived
                    shareStatus.lastError = saved.lastError
                    if saved.lastSyncAt != nil { shareStatus.state = .disconnected }
                }
                shares.append(shareStatus)
                var context = ShareContext(
                    group: group, share: share, localPath: share.offsiteReplica,
                    index: try ShareIndex(key: key, database: database, logger: logger, clock: clock), status: status,
                    database: database, logger: logger, clock: clock)
                context.fileSystemSync = fileSystemSync
                if group.live {
                    // After a recovery-site takeover this copy is the live data, and its changes are captured.
                    context.captureConfiguration = ChangeAggregator.Configuration(
                        quietDelay: group.quietDelay.seconds, maxDelay: group.maxDelay.seconds)
                    context.captureMethod = nodeConfiguration.changeCapture
                }
                contexts[ShareKey(group: group.name, share: share.name)] = context
            }
            groups.append(
                GroupStatus(
                    name: group.name, role: .offsite, peer: group.offsiteFeeder, peerConnected: false, shares: shares))
        }
        for group in groups { status.add(group) }
        self.status = status
        ownerships = OwnershipTable(
            node: name, status: status,
            configured: { name in identityBox.withLockedValue { $0.configuration.groups[name] } })
        shares = ShareTable(contexts)
        for group in configuration.groups(whereNode: name) + configuration.groups(offsiteOf: name) {
            setOwnership(
                try database.loadOwnership(group: group.name) ?? GroupOwnership.initial(of: group), group: group.name)
        }
    }

    /// Changes the configuration the node runs (a reload that adds or removes groups and nodes).
    func changeConfiguration(_ change: (inout ClusterConfiguration) -> Void) {
        identityBox.withLockedValue { change(&$0.configuration) }
    }

    /// Takes `group`'s reloaded configuration (every change of it one the node takes in place): each of its shares'
    /// contexts reads it from now on.
    public func applySettings(of group: GroupConfiguration) {
        for context in shares.of(group: group.name) { context.settings.update(group: group) }
    }

    /// Sets `group`'s bandwidth limits (a reload): its shares' sending takes them from the next write on.
    public func applyBandwidth(group: String, bandwidth: BandwidthLimit, offsite: BandwidthLimit) {
        for context in shares.all where context.groupName == group {
            context.throttle?.setLimit(bandwidth)
            context.offsiteThrottle?.setLimit(offsite)
        }
    }

    /// The node's own table of the configuration, or an error that lists the nodes there are.
    public static func settings(of name: String, in configuration: ClusterConfiguration) throws -> NodeConfiguration {
        guard let settings = configuration.nodes[name] else {
            let known = configuration.nodes.keys.sorted().joined(separator: ", ")
            throw NodeError(.unknownNode, "node '\(name)' is not in \(configuration.sourcePath) (its nodes: \(known))")
        }
        return settings
    }

    public func ownership(group: String) -> GroupOwnership? {
        ownerships.ownership(group: group)
    }

    /// True when this node holds `group` by epoch: it serves it, and its replica (if it was the standby) is the
    /// live data that must never again follow the old primary.
    public func owns(group: String) -> Bool {
        ownerships.owns(group: group)
    }

    package func peerOwnershipHeard(peer: String, group: String, ownership: GroupOwnership) {
        peerNews.publish(.ownershipHeard(peer: peer, group: group, ownership: ownership))
    }

    package func setOwnership(_ ownership: GroupOwnership, group: String) {
        ownerships.set(ownership, group: group)
    }

    /// Each change of a group's holder (the daemon starts or stops serving and following on it).
    public var holderChanges: HolderChanges { ownerships.changes }
    /// What the replication side learns for the failover machines: a peer's ownership from the handshake, a rejoin
    /// finished.
    public let peerNews = Broadcast<PeerNews>()
    /// Each conflict copy the serving tree took in during a rejoin (the daemon notifies it).
    package let conflicts = Broadcast<ConflictFound>()
    /// Hands an event to the notification channels.
    let notifier: @Sendable (NotificationEvent) -> Void

    package func notify(_ event: NotificationEvent) {
        notifier(event)
    }

    package func conflictFound(_ conflict: ConflictFound) {
        conflicts.publish(conflict)
    }

    package func rejoined(group: String) {
        status.update(group: group) { $0.role = .standby }
        peerNews.publish(.rejoined(group: group))
    }

    package func event(_ level: EventLevel, _ kind: EventKind, _ message: String, share: String?) {
        events.record(level, kind, message, share: share)
    }

    /// Persists one share's figures so `status` after a restart still shows the last sync.
    package func saveStatus(group: String, share: String) {
        guard
            let status = status.snapshot(now: clock.monotonicSeconds()).first(where: { $0.name == group })?.shares
                .first(where: {
                    $0.name == share
                })
        else { return }
        do {
            try database.saveSyncStatus(
                SyncStatusRecord(
                    share: "\(group)/\(share)", state: status.state.rawValue, filesTotal: status.filesTotal,
                    filesDone: status.filesDone,
                    bytesTotal: status.bytesTotal, bytesDone: status.bytesDone, bytesSent: status.bytesSent,
                    bytesReceived: status.bytesReceived, lastSyncAt: status.lastSyncAt, lastError: status.lastError,
                    updatedAt: clock.wallTime()))
        } catch {
            logger.warning("could not save status of \(group)/\(share): \(error)")
        }
    }
}
