#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import UnderstudySupport
import UnderstudyCore
import UnderstudyHealth
import UnderstudyRejoin
import UnderstudyReplication
import UnderstudyWire

/// Watches every peer of this node over every link and by its service checks, and performs what each group's
/// `FailoverStateMachine` decides. The machines are values behind one lock: heartbeats (from the heartbeat
/// thread), check results (from check tasks) and ticks (from a ticker thread) feed them; the actions they
/// return go to one queue per group, performed in order by a task of its own, and their outcomes are fed
/// back. Only groups whose nodes share a link take part; others are mirrors only.
package final class FailoverService: Service, Sendable {
    let runtime: any FailoverNode
    /// Hands an event to the notification channels (none configured: nothing).
    let notifier: @Sendable (NotificationEvent) -> Void
    let eventLoopGroup: any EventLoopGroup
    let followers: StandbyFollowers
    let heartbeat: HeartbeatService?
    let state: NIOLockedValueBox<State>
    /// The groups this node watches and what runs for each. It may be locked while `state` is (a heartbeat received
    /// reads the groups under `state`'s lock), never `state` while it is.
    let watched: NIOLockedValueBox<Watched>
    /// Work beside the queues (repeated announcements, retried releases, link news), run in `run`'s task group so
    /// that none outlives the service.
    private let sideWork:
        (
            stream: AsyncStream<@Sendable () async -> Void>,
            continuation: AsyncStream<@Sendable () async -> Void>.Continuation
        )

    struct State {
        var machines: [String: FailoverStateMachine] = [:]
        /// Links, checks and witness reports, and the observations made of them.
        var observer: FailoverObserver
        var peerPhases: [String: String] = [:]
        /// Groups whose replica completed a sync once (see `replicaReady`).
        var readyReplicas: Set<String> = []
        /// When a reload added each group: its replica is ready once a sync completed after that.
        var addedAt: [String: Date] = [:]
        /// Hand-overs under way, by group: their reports so far and who waits for them.
        var handOvers: [String: PendingHandOver] = [:]
        /// Each group's checks as the node runs them (a reload may change them: `applyChecks`), and the round of their
        /// tasks: a task of an older round ends.
        var checks: [String: [CheckConfiguration]] = [:]
        var checkRounds: [String: Int] = [:]
        /// Set once `run` started the groups' checks: a reload's new checks start at once from then on (before, `run`
        /// starts them).
        var checksStarted = false
        /// On the off-site node, the decision for each group it keeps a copy of (see `RecoverySiteMachine`).
        var recoveryMachines: [String: RecoverySiteMachine] = [:]
        var running = true
    }

    /// The groups of this node that take part (both nodes have a link in common, or the group is agentless and this
    /// node its standby), and what runs for each. A reload adds and removes groups (`FailoverService+Groups.swift`).
    struct Watched {
        var groups: [GroupConfiguration] = []
        /// Each of them as this node observes it (its peer and witness), by name.
        var observed: [String: FailoverObserver.Group] = [:]
        var actions: [String: GroupActions] = [:]
        /// Each group's queue of actions (the recovery site's groups' too), and the stream its task performs.
        var queues: [String: AsyncStream<FailoverAction>.Continuation] = [:]
        var streams: [String: AsyncStream<FailoverAction>] = [:]
        /// Set once `run` watches: a group added from then on starts its own tasks.
        var started = false
        /// Counts the times each group was removed: the tasks of an earlier time end.
        var generations: [String: Int] = [:]
        /// Peers still sent heartbeats for the groups a reload removed here that they may still watch, until their
        /// heartbeats no longer mention them (`retire`).
        var retiring: [String: Set<String>] = [:]
        /// Finished when the group's performer ended (a removed group's address is given up after it).
        var performed: [String: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)] = [:]
    }

    var groups: [GroupConfiguration] { watched.withLockedValue { $0.groups } }
    var observedGroups: [String: FailoverObserver.Group] { watched.withLockedValue { $0.observed } }
    var actions: [String: GroupActions] { watched.withLockedValue { $0.actions } }
    var queues: [String: AsyncStream<FailoverAction>.Continuation] { watched.withLockedValue { $0.queues } }
    /// The groups this node is the witness of: it exchanges heartbeats with their nodes and tells each how long it
    /// has not heard the other.
    let witnessed: [GroupConfiguration]
    /// The groups this node keeps the off-site copy of: `understudy failover GROUP` here takes them over at the
    /// recovery site (see `FailoverService+RecoverySite.swift`).
    let recoveryGroups: [GroupConfiguration]
    /// Their takeover, acquisition and release, with the recovery site's address, interface and scripts.
    let recoveryActions: [String: GroupActions]

    /// The service addresses this node holds, renewed and guarded so they die with the daemon (nil: no group here
    /// has an address on this node).
    let holdings: AddressHoldings?
    /// A group's maintenance hold, when on (the cluster's operator directory): automatic failover waits.
    let maintenance: @Sendable (String) -> MaintenanceHold?

    /// - Parameter guardianExecutable: the understudy binary, started as the address guardian (nil: none, as in tests
    ///   that run the daemon inside another program).
    package init(
        runtime: any FailoverNode, clusterKey: [UInt8]?, notifier: @escaping @Sendable (NotificationEvent) -> Void,
        eventLoopGroup: any EventLoopGroup,
        followers: StandbyFollowers, guardianExecutable: String? = nil, lockDescriptor: Int32? = nil,
        maintenance: @escaping @Sendable (String) -> MaintenanceHold? = { _ in nil }
    ) throws {
        self.maintenance = maintenance
        self.runtime = runtime
        self.notifier = notifier
        self.eventLoopGroup = eventLoopGroup
        self.followers = followers
        let configuration = runtime.configuration
        let me = runtime.identity.settings
        let groups = configuration.groups(whereNode: runtime.name).filter { Self.takesPart($0, runtime: runtime) }
        witnessed = configuration.groups(witnessedBy: runtime.name)
        recoveryGroups = configuration.groups(offsiteOf: runtime.name)
        let now = runtime.now()
        var initial = State(
            observer: FailoverObserver(
                node: runtime.name, deadTime: configuration.heartbeat.deadTime.seconds,
                isolationTime: configuration.heartbeat.isolationTime.seconds))
        let routes = Self.listen(
            to: Self.heartbeatPeers(of: groups, witnessed: witnessed, node: runtime.name),
            agentless: groups.filter(\.agentless), runtime: runtime, observer: &initial.observer, at: now)
        var table = Watched()
        for group in groups {
            let ownership = try runtime.database.loadOwnership(group: group.name) ?? GroupOwnership.initial(of: group)
            runtime.setOwnership(ownership, group: group.name)
            Self.install(group, ownership: ownership, runtime: runtime, into: &initial, at: now)
            table.performed[group.name] = AsyncStream<Void>.makeStream()
            table.groups.append(group)
            table.observed[group.name] = group.observed(by: runtime.name)
            (table.streams[group.name], table.queues[group.name]) = AsyncStream<FailoverAction>.makeStream()
        }
        for group in recoveryGroups {
            let ownership = runtime.ownership(group: group.name) ?? GroupOwnership.initial(of: group)
            initial.recoveryMachines[group.name] = RecoverySiteMachine(
                settings: RecoverySiteMachine.Settings(
                    node: runtime.name, group: group.name, hasFence: group.takeover.fence != nil,
                    deadTime: configuration.heartbeat.deadTime.seconds),
                ownership: ownership, at: now)
            (table.streams[group.name], table.queues[group.name]) = AsyncStream<FailoverAction>.makeStream()
        }
        if let isolation = me.isolationCheck {
            initial.observer.isolation = CheckHealth(rise: isolation.rise, fall: isolation.fall)
        }
        let sideWork = AsyncStream<@Sendable () async -> Void>.makeStream()
        self.sideWork = sideWork
        let spawn: @Sendable (@escaping @Sendable () async -> Void) -> Void = { sideWork.continuation.yield($0) }
        let state = NIOLockedValueBox(initial)
        self.state = state
        for group in groups {
            table.actions[group.name] = Self.makeActions(
                of: group, runtime: runtime, followers: followers, state: state, spawn: spawn)
        }
        var recoveryActions: [String: GroupActions] = [:]
        for configured in recoveryGroups {
            let group = configured.atRecoverySite
            recoveryActions[group.name] = GroupActions(
                node: runtime.name, group: group, database: runtime.database, logger: runtime.logger,
                clock: runtime.clock, spawn: spawn,
                stopFollowing: { [followers] in _ = await followers.stop(group: group.name, waitingAtMost: 5) },
                recordBase: { [runtime] epoch in await Self.recordBases(runtime, group: group.name, epoch: epoch) },
                ownershipStored: { [runtime] stored in
                    runtime.setOwnership(stored, group: group.name)
                    state.withLockedValue { $0.recoveryMachines[group.name]?.ownershipStored(stored) }
                })
        }
        let lapse = NIOLockedValueBox<(@Sendable (String) -> Void)?>(nil)
        lapseReceiver = lapse
        if (groups + recoveryGroups.map(\.atRecoverySite)).contains(where: {
            $0.takeover.serviceAddress != nil && $0.takeover.interfaces[runtime.name] != nil
        }) {
            let guardian = guardianExecutable.map {
                AddressGuardian(executable: $0, logger: runtime.logger, lockDescriptor: lockDescriptor)
            }
            if guardian == nil {
                runtime.logger.warning(
                    "no address guardian in this process: a service address would outlive the daemon until its kernel lifetime runs out"
                )
            }
            let holdings = AddressHoldings(
                lifetime: AddressHoldings.lifetime(deadTime: configuration.heartbeat.deadTime.seconds),
                guardian: guardian, logger: runtime.logger, lapsed: { group in lapse.withLockedValue { $0 }?(group) })
            self.holdings = holdings
            for group in groups { table.actions[group.name]?.holdings = holdings }
            for group in recoveryGroups { recoveryActions[group.name]?.holdings = holdings }
        } else {
            holdings = nil
        }
        let watched = NIOLockedValueBox(table)
        self.watched = watched
        self.recoveryActions = recoveryActions
        // Groups with an off-site node: what it says of their holder counts even where there is no failover.
        learnsFromOffsite = configuration.groups(withMember: runtime.name).contains { $0.offsite != nil }
        activeAtStart = !groups.isEmpty || !witnessed.isEmpty || learnsFromOffsite
        news = activeAtStart ? runtime.peerNews.subscribe() : nil
        let receiver = NIOLockedValueBox<(@Sendable (HeartbeatMessage, String, Double) -> Void)?>(nil)
        heartbeatReceiver = receiver
        if routes.isEmpty {
            heartbeat = nil
        } else {
            guard let clusterKey else {
                throw NodeError(.noClusterKey, "heartbeats need the cluster key; run `understudy init`")
            }
            let node = runtime.name
            heartbeat = HeartbeatService(
                node: node, routes: routes, port: configuration.heartbeat.port,
                interval: configuration.heartbeat.interval.seconds,
                key: clusterKey, logger: runtime.logger, now: { [runtime] in runtime.now() },
                payload: { peer in
                    let groups = watched.withLockedValue { $0.groups }
                    return state.withLockedValue { state in
                        groups.compactMap { group -> HeartbeatMessage.GroupState? in
                            let name = group.name
                            guard let machine = state.machines[name], group.peer(of: node) == peer else { return nil }
                            return HeartbeatMessage.GroupState(
                                group: name, ownership: machine.ownership, phase: machine.phase.rawValue)
                        }
                    }
                },
                hearings: { [witnessed] peer in
                    // A witness tells each node of a group it witnesses how long it has not heard the group's nodes.
                    let heard = Set(
                        witnessed.filter { $0.primary == peer || $0.standby == peer }.flatMap {
                            [$0.primary, $0.standby]
                        })
                    guard !heard.isEmpty else { return [] }
                    let now = runtime.now()
                    return state.withLockedValue { state in
                        heard.sorted().compactMap { name in
                            state.observer.liveness[name].map {
                                HeartbeatMessage.Hearing(
                                    node: name,
                                    silenceMilliseconds: UInt32(min(Double(UInt32.max), $0.silence(at: now) * 1000)))
                            }
                        }
                    }
                },
                sequences: HeartbeatSequenceStore(stateDirectory: runtime.identity.settings.stateDirectory),
                deliver: { message, link, at in receiver.withLockedValue { $0 }?(message, link, at) })
        }
    }

    /// Records this node's tree of every share of `group` as the base of `epoch`; a line per share.
    static func recordBases(_ runtime: any FailoverNode, group: String, epoch: UInt64) async -> [String] {
        var lines: [String] = []
        for context in runtime.shares.of(group: group) {
            do {
                let entries = try await RejoinBase.record(context, epoch: epoch, at: runtime.clock.wallSeconds())
                lines.append("\(context.key) \(entries) entries")
            } catch {
                runtime.logger.error(
                    "group \(group): could not record the rejoin base of \(context.key): \(error); a rejoining node will keep every file that differs as a conflict"
                )
                lines.append("\(context.key) failed: \(error)")
            }
        }
        return lines
    }

    package var isActive: Bool { !groups.isEmpty || !witnessed.isEmpty || learnsFromOffsite }
    /// `isActive` when the service was made: only then does `run` watch (and a group a reload adds can start).
    let activeAtStart: Bool
    /// A group of this node has an off-site node (see `FailoverService+RecoverySite.swift`).
    let learnsFromOffsite: Bool

    /// Starts `work` beside the queues; it is cancelled when the service stops.
    func spawn(_ work: @escaping @Sendable () async -> Void) {
        sideWork.continuation.yield(work)
    }

    /// Feeds the replication side's news to the machines, until the stream ends or the task is cancelled.
    private func hear(_ news: AsyncStream<PeerNews>) async {
        for await item in news {
            switch item {
            case .ownershipHeard(let peer, let group, let ownership):
                handshakeHeard(peer: peer, group: group, ownership: ownership)
            case .rejoined(let group):
                rejoined(group: group)
            }
        }
    }

    /// What the heartbeats say of each link to `peer` (link → view): the mirror chooses its path by it.
    package func linkViews(of peer: String) -> [String: MirrorRoute.LinkView] {
        state.withLockedValue { $0.observer.liveness[peer]?.views } ?? [:]
    }

    /// Runs until cancelled or shut down gracefully: heartbeats, checks, the ticker and the action queues.
    package func run() async {
        await cancelWhenGracefulShutdown { await self.watch() }
    }

    private func watch() async {
        guard activeAtStart else { return }
        let logger = runtime.logger
        for warning in ConfigurationAdvice.warnings(runtime.configuration) {
            logger.warning("configuration: \(warning)")
        }
        heartbeatReceiver.withLockedValue {
            $0 = { [weak self] message, link, at in self?.received(message, link: link, at: at) }
        }
        lapseReceiver.withLockedValue {
            $0 = { [weak self] group in
                guard let self else { return }
                self.feed(group) { $0.addressLapsed(at: self.runtime.now()) }
            }
        }
        holdings?.start()
        let ticker = OwnedThread(name: "failover-ticker") { [weak self] in
            while let self, self.state.withLockedValue({ $0.running }) {
                self.tick()
                usleep(20_000)
            }
        }
        await withTaskGroup(of: Void.self) { tasks in
            if let heartbeat {
                tasks.addTask { await heartbeat.run() }
            }
            tasks.addTask {
                await withDiscardingTaskGroup { side in
                    for await work in self.sideWork.stream { side.addTask { await work() } }
                    side.cancelAll()
                }
            }
            // From here on a group a reload adds starts its own tasks (`addGroup`); those there now start here.
            let (groups, generations) = watched.withLockedValue { watched in
                watched.started = true
                return (watched.groups, watched.generations)
            }
            for group in groups {
                let generation = generations[group.name] ?? 0
                startWatching(group, generation: generation) { work in tasks.addTask { await work() } }
            }
            if let isolation = runtime.identity.settings.isolationCheck {
                tasks.addTask { await self.runCheck(isolation, group: nil) }
            }
            if let news {
                tasks.addTask { await self.hear(news) }
            }
            for group in recoveryGroups {
                let actions = self.recoveryActions[group.name]!
                let stream = watched.withLockedValue { $0.streams[group.name]! }
                let start = state.withLockedValue { $0.recoveryMachines[group.name]?.startActions() ?? [] }
                enqueue(group.name, start)
                tasks.addTask { await self.performAtRecoverySite(stream, actions: actions) }
            }
            await withTaskCancellationHandler {
                await waitUntilCancelled()
            } onCancel: {
                // No step is performed from now on: whoever waits for a hand-over is answered now (an automatic
                // failback waiting in this task group among them, which would otherwise keep it from ending).
                for continuation in self.queues.values { continuation.finish() }
                self.abandonHandOvers()
            }
            tasks.cancelAll()
        }
        // Stops the ticker too (`running`), which is joined before the addresses stop being renewed.
        abandonHandOvers()
        await ticker.join(waitingAtMost: 2)
        await holdings?.stop()
    }

    /// What the replication side learns (a peer's ownership in a handshake, a rejoin finished), subscribed from the
    /// start so that nothing is lost before `run` reads it (nil: this node takes part in no failover).
    private let news: AsyncStream<PeerNews>?

    /// Set once `run` starts: the heartbeat thread's way in.
    private let heartbeatReceiver: NIOLockedValueBox<(@Sendable (HeartbeatMessage, String, Double) -> Void)?>
    /// Set once `run` starts: where a lapsed address is told (the renewal thread's way in).
    private let lapseReceiver: NIOLockedValueBox<(@Sendable (String) -> Void)?>
}
