import Logging
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudyHealth
import UnderstudyReplication

/// The groups the service watches: those of the start, and those a reload adds or removes (a group this node is
/// primary or standby of, with no off-site node and no witness node: `ConfigurationChanges.takesInPlace`). A group added
/// gets what one of the start gets (its machine, checks, queue, heartbeats to its peer); one removed ends its tasks
/// and gives its address up if this node held it.
extension FailoverService {
    /// `group` takes part in failover on this node: both nodes have a link in common, or it is agentless and this node
    /// its standby (an agentless primary sends no heartbeats: its standby decides by the checks alone).
    static func takesPart(_ group: GroupConfiguration, runtime: any FailoverNode) -> Bool {
        if group.agentless { return group.standby == runtime.name }
        guard let peer = runtime.configuration.nodes[group.peer(of: runtime.name)] else { return false }
        return !runtime.identity.settings.commonLinks(with: peer).isEmpty
    }

    /// The nodes heartbeats go to: the peers of this node's groups, their witness nodes, and (on a witness) the nodes
    /// of the groups it witnesses.
    static func heartbeatPeers(
        of groups: [GroupConfiguration], witnessed: [GroupConfiguration], node: String
    ) -> Set<String> {
        var peers = Set(groups.filter { !$0.agentless }.map { $0.peer(of: node) })
        for group in groups { if case .node(let witness)? = group.takeover.witness { peers.insert(witness) } }
        for group in witnessed { peers.formUnion([group.primary, group.standby]) }
        peers.remove(node)
        return peers
    }

    /// The heartbeat routes to `peers` (each on every link in common), with a liveness for each peer the observer does
    /// not follow yet (its silence counts from `now`). An agentless group's primary is never heard: it gets a liveness
    /// with no link.
    static func listen(
        to peers: Set<String>, agentless: [GroupConfiguration] = [], runtime: any FailoverNode,
        observer: inout FailoverObserver, at now: Double
    ) -> [HeartbeatService.Route] {
        let configuration = runtime.configuration
        let deadTime = configuration.heartbeat.deadTime.seconds
        var routes: [HeartbeatService.Route] = []
        for peerName in peers.sorted() {
            guard let peer = configuration.nodes[peerName] else { continue }
            let common = runtime.identity.settings.commonLinks(with: peer)
            routes += common.map {
                HeartbeatService.Route(
                    peer: peerName, link: $0.local.name, localAddress: $0.local.address,
                    remoteAddress: $0.remote.address)
            }
            if observer.liveness[peerName] == nil {
                observer.liveness[peerName] = LinkLiveness(
                    links: common.map(\.local.name), deadTime: deadTime, startedAt: now)
            }
        }
        for group in agentless where observer.liveness[group.primary] == nil {
            observer.liveness[group.primary] = LinkLiveness(links: [], deadTime: deadTime, startedAt: now)
        }
        return routes
    }

    /// Gives `group` its machine (from `ownership`: the one the state database holds, or the initial one), its
    /// checks' health and its witness check's.
    static func install(
        _ group: GroupConfiguration, ownership: GroupOwnership, runtime: any FailoverNode, into state: inout State,
        at now: Double
    ) {
        let heartbeat = runtime.configuration.heartbeat
        let settings = FailoverStateMachine.Settings(
            node: runtime.name, group: group.name, mode: group.takeover.mode, deadTime: heartbeat.deadTime.seconds,
            isolationTime: heartbeat.isolationTime.seconds, hasFence: group.takeover.fence != nil,
            hasChecks: !group.takeover.checks.isEmpty,
            followsOwner: group.standby == runtime.name && ownership.owner == group.primary,
            hasWitness: group.takeover.witness != nil, peer: group.peer(of: runtime.name),
            hasOffsite: group.offsite != nil, agentless: group.agentless)
        state.machines[group.name] = FailoverStateMachine(settings: settings, ownership: ownership, at: now)
        state.observer.checks[group.name] = Dictionary(
            uniqueKeysWithValues: group.takeover.checks.map { ($0.name, CheckHealth(rise: $0.rise, fall: $0.fall)) })
        state.checks[group.name] = group.takeover.checks
        // A group added again starts a round of its own: the check tasks of its earlier time end.
        state.checkRounds[group.name] = state.checkRounds[group.name].map { $0 + 1 } ?? 0
        if case .target(let check)? = group.takeover.witness {
            state.observer.witnessChecks[group.name] = CheckHealth(rise: check.rise, fall: check.fall)
        }
    }

    /// What `group`'s actions do on this node: take over, acquire, release, hand over.
    static func makeActions(
        of group: GroupConfiguration, runtime: any FailoverNode, followers: StandbyFollowers,
        state: NIOLockedValueBox<State>, spawn: @escaping @Sendable (@escaping @Sendable () async -> Void) -> Void
    ) -> GroupActions {
        GroupActions(
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
                // A takeover under way when a reload removed the group tells nothing (its epoch is stored already).
                guard runtime.configuration.groups[group.name] != nil else { return }
                runtime.setOwnership(stored, group: group.name)
                state.withLockedValue { $0.machines[group.name]?.ownershipStored(stored) }
            })
    }

    /// Logs how `group` is watched, queues its machine's first actions and starts its tasks through `start`: its
    /// queue's performer, its announcement refresh and automatic failback (when configured), and its checks.
    func startWatching(
        _ group: GroupConfiguration, generation: Int, start: (@escaping @Sendable () async -> Void) -> Void
    ) {
        // Only for the group as it is now: one removed and added again since gets its tasks from its own addition.
        typealias Parts = (GroupActions, AsyncStream<FailoverAction>, AsyncStream<Void>.Continuation)
        let parts = watched.withLockedValue { watched -> Parts? in
            guard watched.generations[group.name] ?? 0 == generation, let actions = watched.actions[group.name],
                let stream = watched.streams[group.name], let ended = watched.performed[group.name]
            else { return nil }
            return (actions, stream, ended.continuation)
        }
        guard let (actions, stream, ended) = parts,
            let machine = state.withLockedValue({ $0.machines[group.name] })
        else { return }
        let role =
            machine.isOwner
            ? "owner: waiting up to the dead time to hear the peer before taking the address"
            : "watching \(group.peer(of: runtime.name))"
        let checksLine =
            !group.takeover.checks.isEmpty
            ? ""
            : group.agentless
                ? "; no checks configured: only `understudy failover` takes over"
                : "; no checks configured: silence on every link alone means failure"
        let failback =
            group.takeover.failback == .auto
            ? "; failback auto after \(FailoverStateMachine.seconds(group.takeover.failbackAfter.seconds)) s in step"
            : ""
        runtime.logger.info(
            "failover for group \(group.name): \(group.takeover.mode.rawValue), \(machine.ownership), \(role)\(checksLine)\(failback)"
        )
        enqueue(group.name, machine.startActions())
        start {
            await self.perform(stream, actions: actions, generation: generation)
            ended.finish()
        }
        if let refresh = group.takeover.announceRefresh {
            start {
                await self.refreshAnnouncements(
                    group.name, every: refresh.seconds, actions: actions, generation: generation)
            }
        }
        if group.takeover.failback == .auto && group.standby == runtime.name {
            start { await self.autoFailback(group, generation: generation) }
        }
        // The checks of the current round (a reload may have changed them already).
        let (checks, round) = state.withLockedValue {
            $0.checksStarted = true
            return ($0.checks[group.name] ?? [], $0.checkRounds[group.name])
        }
        for check in checks {
            start { await self.runCheck(check, group: group.name, round: round) }
        }
        if case .target(let check)? = group.takeover.witness {
            start { await self.runCheck(check, group: group.name, witness: true, generation: generation) }
        }
    }

    /// `group` is still watched as it was when its task of `generation` started (a reload did not remove it).
    func watches(_ group: String, generation: Int) -> Bool {
        watched.withLockedValue { $0.generations[group] ?? 0 == generation && $0.observed[group] != nil }
    }

    /// Why `group` (added by a reload) cannot be watched until the daemon restarts, or nil when it can (or takes part
    /// in no failover here).
    package func refusal(toWatch group: GroupConfiguration) -> String? {
        guard Self.takesPart(group, runtime: runtime) else { return nil }
        if !activeAtStart {
            return "node \(runtime.name) took part in no failover when its daemon started"
        }
        if !group.agentless && heartbeat == nil {
            return "node \(runtime.name) sent no heartbeats when its daemon started"
        }
        if group.takeover.serviceAddress != nil && group.takeover.interfaces[runtime.name] != nil && holdings == nil {
            return
                "node \(runtime.name) held no service address when its daemon started (addresses are guarded from the start)"
        }
        return nil
    }

    /// Watches `group`, which a reload added (`refusal(toWatch:)` found nothing against it, and the node's
    /// configuration has it): heartbeats go to its peer from the next one on, and its tasks start once `run` watches.
    package func addGroup(_ group: GroupConfiguration) throws {
        guard Self.takesPart(group, runtime: runtime) else {
            runtime.logger.notice(
                "group \(group.name) takes part in no failover on node \(runtime.name) (its nodes share no link): it is a mirror only"
            )
            return
        }
        // The holder the node took with the group's shares; else read first (a failure leaves nothing behind), and
        // outside the lock: the heartbeat thread must not wait for the database.
        let ownership: GroupOwnership
        if let known = runtime.ownership(group: group.name) {
            ownership = known
        } else {
            ownership = try runtime.database.loadOwnership(group: group.name) ?? GroupOwnership.initial(of: group)
            runtime.setOwnership(ownership, group: group.name)
        }
        let now = runtime.now()
        var actions = Self.makeActions(
            of: group, runtime: runtime, followers: followers, state: state, spawn: { [self] work in self.spawn(work) })
        actions.holdings = holdings
        let (stream, continuation) = AsyncStream<FailoverAction>.makeStream()
        // Its queue first: what its machine decides from the first heartbeat on has somewhere to go.
        let (started, generation) = watched.withLockedValue { watched in
            watched.groups.append(group)
            watched.observed[group.name] = group.observed(by: runtime.name)
            watched.actions[group.name] = actions
            watched.streams[group.name] = stream
            watched.queues[group.name] = continuation
            watched.performed[group.name] = AsyncStream<Void>.makeStream()
            let peer = group.peer(of: runtime.name)
            watched.retiring[peer]?.remove(group.name)
            if watched.retiring[peer]?.isEmpty == true { watched.retiring[peer] = nil }
            // Counted up when the group was removed (`stopWatching`): the tasks of its earlier time end.
            return (watched.started, watched.generations[group.name] ?? 0)
        }
        state.withLockedValue { state in
            Self.install(group, ownership: ownership, runtime: runtime, into: &state, at: now)
            // A takeover needs a sync of this run: one an earlier run of the group left says nothing of what its
            // primary changed since.
            state.addedAt[group.name] = runtime.clock.wallTime()
            _ = Self.listen(
                to: Self.heartbeatPeers(of: [group], witnessed: [], node: runtime.name),
                agentless: group.agentless ? [group] : [], runtime: runtime, observer: &state.observer, at: now)
        }
        routesChanged()
        if started { startWatching(group, generation: generation) { spawn($0) } }
    }

    /// Stops watching `group`, which a reload removed: its queue ends (actions still queued are dropped once the one
    /// under way ended), its checks and other tasks end, whoever waits for its hand-over is answered, and heartbeats
    /// to a peer no group shares any more stop. Returns what gives up the address this node holds for it (its services
    /// are left as they are), for the caller to run once the group's capture and follower stopped: it waits for the
    /// action under way (a takeover adding the address) first.
    package func stopWatching(_ name: String) -> @Sendable () async -> Void {
        guard
            let (continuation, actions, performed, started) = watched.withLockedValue({
                watched -> (AsyncStream<FailoverAction>.Continuation, GroupActions, AsyncStream<Void>?, Bool)? in
                guard let actions = watched.actions[name], let queue = watched.queues[name] else { return nil }
                watched.groups.removeAll { $0.name == name }
                watched.observed[name] = nil
                watched.actions[name] = nil
                watched.streams[name] = nil
                watched.queues[name] = nil
                watched.generations[name, default: 0] += 1
                // Its peer still watches it until a reload removes it there too: heartbeats go on meanwhile, so that
                // it hears no silence (which would have it take the group over).
                if !actions.group.agentless {
                    watched.retiring[actions.group.peer(of: runtime.name), default: []].insert(name)
                }
                return (queue, actions, watched.performed.removeValue(forKey: name)?.stream, watched.started)
            })
        else { return {} }
        continuation.finish()
        state.withLockedValue { state in
            state.machines[name] = nil
            state.observer.checks[name] = nil
            state.observer.witnessChecks[name] = nil
            state.checks[name] = nil
            state.checkRounds[name] = (state.checkRounds[name] ?? 0) + 1
            state.readyReplicas.remove(name)
            state.peerPhases[name] = nil
            state.addedAt[name] = nil
        }
        abandonHandOver(of: name)
        routesChanged()
        let logger = runtime.logger
        // Only an address held through the holdings can be here: a group with one on this node has them.
        guard holdings != nil, actions.group.takeover.serviceAddress != nil else {
            logger.notice("group \(name): its failover is watched no more")
            return {}
        }
        return { [self] in
            // The action under way (a takeover that adds the address, a release) ends first.
            if started, let performed { for await _ in performed {} }
            let report = await actions.release(runStopScripts: false)
            if report.succeeded {
                logger.notice(
                    "group \(name): its failover is watched no more; \(report.lines.isEmpty ? "its address was not on this node" : report.lines.joined(separator: "; ")) (its services were left running)"
                )
            } else {
                logger.error(
                    "group \(name): its failover is watched no more, but its address could not be removed: \(report.text); tried again every 5 s"
                )
                retryRelease(name, report, actions: actions)
            }
        }
    }

    /// `peer` sent a heartbeat about `groups` (nil: it fell silent for the dead time): a peer kept heartbeating only
    /// because it still watched a group this node removed (`Watched.retiring`) is let go once it no longer does (a
    /// reload removed it there too, and it may have let this node go first).
    func retire(_ peer: String, reporting groups: [String]?) {
        let done = watched.withLockedValue { watched -> Bool in
            guard let removed = watched.retiring[peer] else { return false }
            let left = groups.map { removed.intersection($0) } ?? []
            watched.retiring[peer] = left.isEmpty ? nil : left
            return left.isEmpty
        }
        guard done else { return }
        runtime.logger.notice(
            "\(peer) no longer watches the groups a reload removed here: heartbeats to it stop unless a group needs them"
        )
        routesChanged()
    }

    /// Heartbeats go to the peers of the groups watched now; the liveness of a peer none of them has any more goes.
    private func routesChanged() {
        guard let heartbeat else { return }
        let (groups, retiring) = watched.withLockedValue { ($0.groups, $0.retiring) }
        let peers = Self.heartbeatPeers(of: groups, witnessed: witnessed, node: runtime.name)
            .union(retiring.keys)
        let now = runtime.now()
        let routes = state.withLockedValue { state in
            let routes = Self.listen(to: peers, runtime: runtime, observer: &state.observer, at: now)
            let agentless = Set(groups.filter(\.agentless).map(\.primary))
            for peer in state.observer.liveness.keys where !peers.contains(peer) && !agentless.contains(peer) {
                state.observer.liveness[peer] = nil
            }
            return routes
        }
        heartbeat.setRoutes(routes)
    }
}
