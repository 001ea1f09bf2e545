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
    let actions: [String: GroupActions]
    let queues: [String: AsyncStream<FailoverAction>.Continuation]
    private let streams: [String: AsyncStream<FailoverAction>]
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

    /// The groups of this node that take part (both nodes have a link in common).
    let groups: [GroupConfiguration]
    /// Each of them as this node observes it (its peer and witness), by name.
    let observedGroups: [String: FailoverObserver.Group]
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
        groups = configuration.groups(whereNode: runtime.name).filter { group in
            // An agentless primary sends no heartbeats: its standby decides by the checks alone.
            if group.agentless { return group.standby == runtime.name }
            guard let peer = configuration.nodes[group.peer(of: runtime.name)] else { return false }
            return !me.commonLinks(with: peer).isEmpty
        }
        witnessed = configuration.groups(witnessedBy: runtime.name)
        recoveryGroups = configuration.groups(offsiteOf: runtime.name)
        observedGroups = Dictionary(uniqueKeysWithValues: groups.map { ($0.name, $0.observed(by: runtime.name)) })
        let now = runtime.now()
        var initial = State(
            observer: FailoverObserver(
                node: runtime.name, deadTime: configuration.heartbeat.deadTime.seconds,
                isolationTime: configuration.heartbeat.isolationTime.seconds))
        var routes: [HeartbeatService.Route] = []
        // Heartbeats go to the peers of this node's groups, to their witness nodes, and (on a witness) to the nodes of
        // the groups it witnesses.
        var heartbeatPeers = Set(groups.map { $0.peer(of: runtime.name) })
        for group in groups { if case .node(let witness)? = group.takeover.witness { heartbeatPeers.insert(witness) } }
        for group in witnessed { heartbeatPeers.formUnion([group.primary, group.standby]) }
        for peerName in heartbeatPeers.sorted() where peerName != runtime.name {
            guard let peer = configuration.nodes[peerName] else { continue }
            let common = me.commonLinks(with: peer)
            routes += common.map {
                HeartbeatService.Route(
                    peer: peerName, link: $0.local.name, localAddress: $0.local.address,
                    remoteAddress: $0.remote.address)
            }
            initial.observer.liveness[peerName] = LinkLiveness(
                links: common.map(\.local.name), deadTime: configuration.heartbeat.deadTime.seconds,
                startedAt: now)
        }
        // An agentless primary is never heard: its silence counts from the start, so only its checks tell.
        for group in groups where group.agentless {
            initial.observer.liveness[group.primary] = LinkLiveness(
                links: [], deadTime: configuration.heartbeat.deadTime.seconds, startedAt: now)
        }
        var queues: [String: AsyncStream<FailoverAction>.Continuation] = [:]
        var streams: [String: AsyncStream<FailoverAction>] = [:]
        for group in groups {
            let ownership = try runtime.database.loadOwnership(group: group.name) ?? GroupOwnership.initial(of: group)
            runtime.setOwnership(ownership, group: group.name)
            let settings = FailoverStateMachine.Settings(
                node: runtime.name, group: group.name, mode: group.takeover.mode,
                deadTime: configuration.heartbeat.deadTime.seconds,
                isolationTime: configuration.heartbeat.isolationTime.seconds, hasFence: group.takeover.fence != nil,
                hasChecks: !group.takeover.checks.isEmpty,
                followsOwner: group.standby == runtime.name && ownership.owner == group.primary,
                hasWitness: group.takeover.witness != nil, peer: group.peer(of: runtime.name),
                hasOffsite: group.offsite != nil, agentless: group.agentless)
            initial.machines[group.name] = FailoverStateMachine(settings: settings, ownership: ownership, at: now)
            initial.observer.checks[group.name] = Dictionary(
                uniqueKeysWithValues: group.takeover.checks.map { ($0.name, CheckHealth(rise: $0.rise, fall: $0.fall)) }
            )
            initial.checks[group.name] = group.takeover.checks
            initial.checkRounds[group.name] = 0
            if case .target(let check)? = group.takeover.witness {
                initial.observer.witnessChecks[group.name] = CheckHealth(rise: check.rise, fall: check.fall)
            }
            let (stream, continuation) = AsyncStream<FailoverAction>.makeStream()
            queues[group.name] = continuation
            streams[group.name] = stream
        }
        for group in recoveryGroups {
            let ownership = runtime.ownership(group: group.name) ?? GroupOwnership.initial(of: group)
            initial.recoveryMachines[group.name] = RecoverySiteMachine(
                settings: RecoverySiteMachine.Settings(
                    node: runtime.name, group: group.name, hasFence: group.takeover.fence != nil,
                    deadTime: configuration.heartbeat.deadTime.seconds),
                ownership: ownership, at: now)
            let (stream, continuation) = AsyncStream<FailoverAction>.makeStream()
            queues[group.name] = continuation
            streams[group.name] = stream
        }
        if let isolation = me.isolationCheck {
            initial.observer.isolation = CheckHealth(rise: isolation.rise, fall: isolation.fall)
        }
        self.queues = queues
        self.streams = streams
        let sideWork = AsyncStream<@Sendable () async -> Void>.makeStream()
        self.sideWork = sideWork
        let spawn: @Sendable (@escaping @Sendable () async -> Void) -> Void = { sideWork.continuation.yield($0) }
        let state = NIOLockedValueBox(initial)
        self.state = state
        var actions: [String: GroupActions] = [:]
        for group in groups {
            actions[group.name] = GroupActions(
                node: runtime.name, group: group, database: runtime.database, logger: runtime.logger,
                clock: runtime.clock, spawn: spawn,
                stopFollowing: { [followers] in
                    // A dead primary sends nothing more (no FIN either when its cable is cut): waiting longer only
                    // adds to the outage. A live one (a forced takeover) stops at its next read.
                    if await !followers.stop(group: group.name, waitingAtMost: 0.05) {
                        runtime.logger.notice(
                            "group \(group.name): the replica's connection is still closing; it can no longer apply anything"
                        )
                    }
                    if group.agentless { await Self.waitForScans(of: group, runtime: runtime, atMost: 2) }
                },
                recordBase: { [runtime] epoch in await Self.recordBases(runtime, group: group.name, epoch: epoch) },
                ownershipStored: { [runtime] stored in
                    runtime.setOwnership(stored, group: group.name)
                    state.withLockedValue { $0.machines[group.name]?.ownershipStored(stored) }
                })
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
            for group in groups { actions[group.name]?.holdings = holdings }
            for group in recoveryGroups { recoveryActions[group.name]?.holdings = holdings }
        } else {
            holdings = nil
        }
        self.actions = actions
        self.recoveryActions = recoveryActions
        // Groups with an off-site node: what it says of their holder counts even where there is no failover.
        learnsFromOffsite = configuration.groups(withMember: runtime.name).contains { $0.offsite != nil }
        news =
            groups.isEmpty && witnessed.isEmpty && !learnsFromOffsite ? nil : runtime.peerNews.subscribe()
        let receiver = NIOLockedValueBox<(@Sendable (HeartbeatMessage, String, Double) -> Void)?>(nil)
        heartbeatReceiver = receiver
        if routes.isEmpty {
            heartbeat = nil
        } else {
            guard let clusterKey else {
                throw NodeError(.noClusterKey, "heartbeats need the cluster key; run `understudy init`")
            }
            let node = runtime.name
            let groupNames = groups.map(\.name)
            heartbeat = HeartbeatService(
                node: node, routes: routes, port: configuration.heartbeat.port,
                interval: configuration.heartbeat.interval.seconds,
                key: clusterKey, logger: runtime.logger, now: { [runtime] in runtime.now() },
                payload: { peer in
                    state.withLockedValue { state in
                        groupNames.compactMap { name -> HeartbeatMessage.GroupState? in
                            guard let machine = state.machines[name], configuration.groups[name]?.peer(of: node) == peer
                            else { return nil }
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
        guard isActive else { return }
        let logger = runtime.logger
        for warning in ConfigurationAdvice.warnings(runtime.configuration) {
            logger.warning("configuration: \(warning)")
        }
        for group in groups {
            let machine = state.withLockedValue { $0.machines[group.name]! }
            let role =
                machine.isOwner
                ? "owner: waiting up to the dead time to hear the peer before taking the address"
                : "watching \(group.peer(of: runtime.name))"
            let checks =
                !group.takeover.checks.isEmpty
                ? ""
                : group.agentless
                    ? "; no checks configured: only `understudy failover` takes over"
                    : "; no checks configured: silence on every link alone means failure"
            let failback =
                group.takeover.failback == .auto
                ? "; failback auto after \(FailoverStateMachine.seconds(group.takeover.failbackAfter.seconds)) s in step"
                : ""
            logger.info(
                "failover for group \(group.name): \(group.takeover.mode.rawValue), \(machine.ownership), \(role)\(checks)\(failback)"
            )
            enqueue(group.name, machine.startActions())
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
            for group in groups {
                let actions = self.actions[group.name]!
                let stream = streams[group.name]!
                tasks.addTask { await self.perform(stream, actions: actions) }
                if let refresh = group.takeover.announceRefresh {
                    tasks.addTask {
                        await self.refreshAnnouncements(group.name, every: refresh.seconds, actions: actions)
                    }
                }
                if group.takeover.failback == .auto && group.standby == runtime.name {
                    tasks.addTask { await self.autoFailback(group) }
                }
                // The checks of the current round (a reload before the start may have changed them already).
                let (checks, round) = state.withLockedValue {
                    $0.checksStarted = true
                    return ($0.checks[group.name] ?? [], $0.checkRounds[group.name])
                }
                for check in checks {
                    tasks.addTask { await self.runCheck(check, group: group.name, round: round) }
                }
                if case .target(let check)? = group.takeover.witness {
                    tasks.addTask { await self.runCheck(check, group: group.name, witness: true) }
                }
            }
            if let isolation = runtime.identity.settings.isolationCheck {
                tasks.addTask { await self.runCheck(isolation, group: nil) }
            }
            if let news {
                tasks.addTask { await self.hear(news) }
            }
            for group in recoveryGroups {
                let actions = self.recoveryActions[group.name]!
                let stream = streams[group.name]!
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
