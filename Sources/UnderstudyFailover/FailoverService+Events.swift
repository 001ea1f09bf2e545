import Foundation
import Logging
import UnderstudyCore
import UnderstudyHealth
import UnderstudyState
import UnderstudyWire

/// Feeding the machines: heartbeats, ticks, check results, the administrator's `failover`; and performing
/// their actions.
extension FailoverService {
    func received(_ message: HeartbeatMessage, link: String, at now: Double) {
        var linkEvent: LinkLiveness.Event?
        var actions: [(String, [FailoverAction])] = []
        var announce: [String] = []
        state.withLockedValue { state in
            linkEvent = state.observer.liveness[message.sender]?.heard(on: link, at: now)
            if !message.hearings.isEmpty, groups.contains(where: { $0.takeover.witness == .node(message.sender) }) {
                state.observer.witnessReports[message.sender] = FailoverObserver.WitnessReport(
                    hearings: Dictionary(
                        message.hearings.map { ($0.node, Double($0.silenceMilliseconds) / 1000) },
                        uniquingKeysWith: { first, _ in first }), at: now)
            }
            for theirs in message.groups {
                guard var machine = state.machines[theirs.group],
                    runtime.configuration.groups[theirs.group]?.peer(of: runtime.name) == message.sender
                else { continue }
                let before = state.peerPhases.updateValue(theirs.phase, forKey: theirs.group)
                if before != theirs.phase,
                    [FailoverPhase.steppedDown.rawValue, FailoverPhase.isolated.rawValue].contains(theirs.phase),
                    machine.phase == .active
                {
                    announce.append(theirs.group)
                }
                var produced = machine.peerHeard(theirs.ownership, at: now)
                if let phase = FailoverPhase(rawValue: theirs.phase) {
                    produced += machine.peerReported(phase, at: now)
                }
                state.machines[theirs.group] = machine
                if !produced.isEmpty { actions.append((theirs.group, produced)) }
            }
        }
        if case .up(let name) = linkEvent {
            // Not on the heartbeat thread: telling writes the event log, and a slow disk must not delay heartbeats.
            let sender = message.sender
            spawn { self.tellLink(.linkUp, .info, peer: sender, link: name, "link \(name) to \(sender) is up again") }
        }
        for (group, produced) in actions { enqueue(group, produced) }
        if watched.withLockedValue({ $0.retiring[message.sender] != nil }) {
            let (sender, groups) = (message.sender, message.groups.map(\.group))
            spawn { self.retire(sender, reporting: groups) }
        }
        for group in announce {
            // The old holder gave the address up; until then it may have answered clients' ARP requests.
            guard let groupActions = self.actions[group] else { continue }
            spawn { await groupActions.announceBurst() }
        }
    }

    /// The peer's view of a group from the replication handshake: a higher epoch there steps this node down as
    /// one in a heartbeat would (heartbeats may be filtered where TCP is not).
    func handshakeHeard(peer: String, group: String, ownership: GroupOwnership) {
        guard let configured = runtime.configuration.groups[group], configured.members.contains(peer) else { return }
        if configured.offsite == runtime.name {
            recoverySiteHeard(peer: peer, group: configured, ownership: ownership)
            return
        }
        // The off-site node, which is not this node's peer: what it says of the holder counts, not of its liveness.
        let third = configured.peer(of: runtime.name) != peer
        if third && state.withLockedValue({ $0.machines[group] }) == nil {
            recordLearned(peer: peer, group: group, ownership: ownership)
            return
        }
        let produced = state.withLockedValue { state -> [FailoverAction] in
            // The off-site node's view counts even when it is not newer: it was heard.
            guard var machine = state.machines[group], third || ownership.supersedes(machine.ownership) else {
                return []
            }
            let produced =
                third
                ? machine.ownershipLearned(ownership, at: runtime.now())
                : machine.peerHeard(ownership, at: runtime.now())
            state.machines[group] = machine
            return produced
        }
        if !produced.isEmpty {
            runtime.logger.notice("group \(group): the replication handshake with \(peer) says \(ownership)")
            enqueue(group, produced)
        }
    }

    /// A newer ownership told by the off-site node, for a group that has no failover on this node (no link with its
    /// peer): stored, and followed.
    private func recordLearned(peer: String, group: String, ownership: GroupOwnership) {
        let mine = runtime.ownership(group: group)
        guard mine.map({ ownership.supersedes($0) }) ?? true, ownership.owner != runtime.name else { return }
        storeOwnership(ownership, group: group, follows: "follows it")
    }

    /// Stores a newer ownership heard from another node durably, then makes it the one every part reads (the
    /// holder change moves the capture and the follower).
    func storeOwnership(_ ownership: GroupOwnership, group: String, follows: String) {
        do {
            try runtime.database.saveOwnership(ownership, group: group, at: runtime.clock.wallTime())
        } catch {
            runtime.logger.critical("group \(group): cannot store \(ownership): \(error)")
        }
        runtime.setOwnership(ownership, group: group)
        runtime.logger.notice("group \(group): \(ownership.owner) holds \(ownership); this node \(follows)")
    }

    /// Every share of `group` completed a sync at least once on this node. Once true it stays true (the last
    /// sync's time is kept across restarts), so the status is only read until then, not on every tick.
    func replicaReady(_ group: String) -> Bool {
        let (ready, addedAt) = state.withLockedValue { ($0.readyReplicas.contains(group), $0.addedAt[group]) }
        if ready { return true }
        // A group a reload added counts only the syncs since.
        let since = addedAt ?? .distantPast
        guard let status = runtime.status.snapshot(now: runtime.now()).first(where: { $0.name == group }),
            status.shares.allSatisfy({ $0.lastSyncAt.map { $0 >= since } ?? false })
        else { return false }
        state.withLockedValue { _ = $0.readyReplicas.insert(group) }
        return true
    }

    func tick() {
        let now = runtime.now()
        // Only a standby that may take over needs it; read once per tick, outside the lock.
        var ready: [String: Bool] = [:]
        let (groups, observed, retiring) = watched.withLockedValue { ($0.groups, $0.observed, $0.retiring) }
        // Peers heartbeated only while they may still watch a group removed here: their silence is no link down.
        let retiringOnly =
            retiring.isEmpty
            ? []
            : Set(retiring.keys).subtracting(Self.heartbeatPeers(of: groups, witnessed: witnessed, node: runtime.name))
        for group in groups where group.standby == runtime.name { ready[group.name] = replicaReady(group.name) }
        var linkEvents: [(String, LinkLiveness.Event)] = []
        var actions: [(String, [FailoverAction])] = []
        state.withLockedValue { state in
            let (frozenFor, links) = state.observer.tick(at: now)
            if let frozenFor {
                runtime.logger.warning(
                    "this node was frozen for \(FailoverStateMachine.seconds(frozenFor)) s; listening to its peers afresh"
                )
            }
            linkEvents = links.map { ($0.peer, $0.event) }
            for group in groups {
                guard var machine = state.machines[group.name], let observed = observed[group.name],
                    let seen = state.observer.observation(
                        of: observed, owner: machine.ownership.owner,
                        replicaReady: ready[group.name] ?? true, maintenance: maintenance(group.name), at: now)
                else { continue }
                let produced = machine.tick(seen)
                state.machines[group.name] = machine
                if !produced.isEmpty { actions.append((group.name, produced)) }
            }
        }
        var silent: Set<String> = []
        for (peer, event) in linkEvents {
            if retiringOnly.contains(peer) {
                if case .down = event { silent.insert(peer) }
                continue
            }
            if case .down(let link, let lastHeard) = event {
                let age =
                    lastHeard.map { "last heard \(FailoverStateMachine.seconds(now - $0)) s ago" }
                    ?? "never heard since start"
                tellLink(.linkDown, .warning, peer: peer, link: link, "link \(link) to \(peer) is down (\(age))")
            }
        }
        for (group, produced) in actions { enqueue(group, produced) }
        // Silent for the dead time: it let the groups go too (and stopped heartbeating this node first).
        for peer in silent { retire(peer, reporting: nil) }
        tickRecoverySite(at: now)
    }

    /// `understudy failover GROUP`.
    package func manualFailover(group: String, force: Bool) -> Result<String, FailoverRefusal> {
        if let recovery = recoveryGroups.first(where: { $0.name == group }) {
            return recoveryTakeover(recovery, force: force)
        }
        guard groups.contains(where: { $0.name == group }) else {
            let known = groups.map(\.name)
            return .failure(
                FailoverRefusal(
                    errorCode: "no-failover",
                    message: known.isEmpty
                        ? "this node takes part in no failover (no links in common with a peer; see [nodes.NAME.links])"
                        : "group '\(group)' has no failover on this node; groups with failover here: \(known.joined(separator: ", "))"
                ))
        }
        let now = runtime.now()
        let ready = runtime.configuration.groups[group]?.standby == runtime.name ? replicaReady(group) : true
        let result: Result<[FailoverAction], FailoverStateMachine.ManualFailoverRefusal> = state.withLockedValue {
            state in
            guard var machine = state.machines[group],
                let observed = runtime.configuration.groups[group]?.observed(by: runtime.name),
                let liveness = state.observer.liveness[observed.peer]
            else {
                return .failure(.busy(.starting))
            }
            let witness = state.observer.witnessView(of: observed, owner: machine.ownership.owner, at: now)
            let outcome = machine.manualFailover(
                at: now, peerSilence: liveness.silence(at: now), force: force, replicaReady: ready,
                witness: witness, serviceAnswers: state.observer.serviceAnswers(group))
            state.machines[group] = machine
            return outcome
        }
        switch result {
        case .success(let actions):
            runtime.logger.notice("group \(group): takeover asked for by the administrator\(force ? " (forced)" : "")")
            enqueue(group, actions)
            return .success("taking over group \(group); `understudy status` shows its progress, the log each step")
        case .failure(let refusal):
            return .failure(
                FailoverRefusal(errorCode: refusal.errorCode, message: "no takeover of group \(group): \(refusal)"))
        }
    }

    func enqueue(_ group: String, _ actions: [FailoverAction]) {
        guard let queue = queues[group] else { return }
        for action in actions { queue.yield(action) }
    }

    /// Performs one group's actions in order; outcomes go back into the machine, whose next actions join the queue.
    /// - Parameter generation: the group's; once a reload removed it, what is still queued is dropped.
    func perform(_ stream: AsyncStream<FailoverAction>, actions: GroupActions, generation: Int = 0) async {
        let group = actions.group.name
        for await action in stream {
            guard watches(group, generation: generation) else { continue }
            if await performShared(action, actions: actions, machines: \.machines, site: "", kind: "failover") {
                continue
            }
            switch action {
            case .recordOwnership(let ownership):
                storeOwnership(ownership, group: group, follows: "follows it")
            case .stopServices, .drain, .handOver, .handOverEnded:
                await performHandOver(action, actions: actions)
            case .notify, .fence, .takeOver, .acquire, .release:
                break  // performed above
            }
        }
    }

    /// A release that failed (the address could not be removed, a stop script failed) is told at once, and the
    /// address removal is tried again every 5 s while this node does not own the group: two nodes must not keep it.
    /// - Parameter given: the group's actions when the service no longer has them (a reload removed the group).
    func retryRelease(_ group: String, _ report: GroupActions.Report, actions given: GroupActions? = nil) {
        tell(
            NotificationEvent(
                kind: .stepDown, severity: .critical, node: runtime.name, group: group, topic: "release-failed",
                summary:
                    "\(runtime.name) could not fully give up group \(group): check its address and services by hand",
                detail: report.text, time: runtime.clock.wallSeconds()))
        guard let actions = given ?? self.actions[group] ?? recoveryActions[group] else { return }
        spawn {
            for _ in 0..<720 {
                try? await Task.sleep(nanoseconds: 5_000_000_000)
                guard !Task.isCancelled, !self.runtime.owns(group: group), actions.holdsAddress() else { return }
                if await actions.release(runStopScripts: false).succeeded {
                    self.runtime.logger.notice("group \(group): the service address is removed now")
                    return
                }
            }
        }
    }

    func feed(_ group: String, _ event: (inout FailoverStateMachine) -> [FailoverAction]) {
        feed(group, in: \.machines, event)
    }

    func refreshAnnouncements(_ group: String, every seconds: Double, actions: GroupActions, generation: Int) async {
        while !Task.isCancelled && watches(group, generation: generation) {
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            let active = state.withLockedValue { $0.machines[group]?.phase == .active }
            if active { actions.refreshAnnouncement() }
        }
    }

    /// Runs one check every interval (never two at once), feeding its verdicts in.
    /// - Parameter witness: the check is the group's witness (a target it must reach), not one of its service checks.
    /// - Parameter round: for a group's check, the round of checks it belongs to: it ends once a reload started
    ///   another (`applyChecks`).
    /// - Parameter generation: for a witness, the group's generation: it ends once a reload removed the group.
    func runCheck(
        _ check: CheckConfiguration, group: String?, witness: Bool = false, round: Int? = nil, generation: Int? = nil
    ) async {
        let probe = CheckProbe(check: check, group: eventLoopGroup)
        let label =
            group.map {
                witness ? "witness \(check.probe.target) of group \($0)" : "check \(check.name) of group \($0)"
            }
            ?? "isolation check \(check.name)"
        while !Task.isCancelled {
            // A check a reload replaced probes no more.
            if let group, let round, state.withLockedValue({ $0.checkRounds[group] != round }) { return }
            if let group, let generation, !watches(group, generation: generation) { return }
            let started = runtime.now()
            let result = await probe.run()
            let now = runtime.now()
            var current = true
            let transition = state.withLockedValue { state -> CheckHealth.Transition? in
                if let group, let round, state.checkRounds[group] != round {
                    current = false
                    return nil
                }
                if let group, witness {
                    return state.observer.witnessChecks[group]?.record(
                        passed: result.passed, message: result.message, at: now)
                }
                if let group {
                    return state.observer.checks[group]?[check.name]?.record(
                        passed: result.passed, message: result.message, at: now)
                }
                return state.observer.isolation?.record(passed: result.passed, message: result.message, at: now)
            }
            switch transition {
            case .nowFailing(let message)?:
                tell(
                    NotificationEvent(
                        kind: .checkFailing, severity: .warning, node: runtime.name, group: group, topic: check.name,
                        summary: "\(label) fails on \(runtime.name): \(message)",
                        detail: "\(check.probe.typeName) \(check.probe.target), \(check.fall) failures in a row.",
                        time: runtime.clock.wallSeconds()))
            case .recovered?:
                tell(
                    NotificationEvent(
                        kind: .checkRecovered, severity: .info, node: runtime.name, group: group, topic: check.name,
                        summary: "\(label) passes again on \(runtime.name): \(result.message)", detail: "",
                        time: runtime.clock.wallSeconds()))
            case nil:
                break
            }
            guard current else { return }
            let wait = max(0.005, check.interval.seconds - (runtime.now() - started))
            try? await Task.sleep(nanoseconds: UInt64(wait * 1e9))
        }
    }

    private func tellLink(
        _ kind: NotificationEvent.Kind, _ severity: NotificationEvent.Severity, peer: String, link: String,
        _ summary: String
    ) {
        tell(
            NotificationEvent(
                kind: kind, severity: severity, node: runtime.name, group: nil, topic: "\(peer)/\(link)",
                summary: "\(runtime.name): \(summary)", detail: "", time: runtime.clock.wallSeconds()))
    }

    /// Log, event log, and the notification channels.
    func tell(_ event: NotificationEvent) {
        let line = "[\(event.kind.rawValue)] \(event.summary)" + (event.detail.isEmpty ? "" : "\n" + event.detail)
        switch event.severity {
        case .info: runtime.logger.info("\(line)")
        case .warning: runtime.logger.warning("\(line)")
        case .critical: runtime.logger.critical("\(line)")
        }
        runtime.event(
            event.severity == .info ? .info : event.severity == .warning ? .warning : .error, EventKind(event.kind),
            event.summary)
        notifier(event)
    }
}

/// Why `understudy failover` took nothing over; nothing changed.
package struct FailoverRefusal: CodedError {
    package let errorCode: String
    package let message: String
}
