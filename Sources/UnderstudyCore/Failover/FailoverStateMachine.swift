/// The decision for one group on one node, as a value: events in (with the time), actions out.
///
/// The standby declares the primary failed only when every link has been silent for the dead time AND the
/// service checks fail (no check passes; with no checks configured, silence alone). One link down is for the
/// node's link alerts, never a takeover. In manual mode a failure only alerts; `manualFailover` takes over.
/// A node that hears a higher ownership steps down at once and never takes the group back by itself; a
/// primary that hears nobody for the isolation time and fails its isolation check gives up its address.
public struct FailoverStateMachine: Sendable {
    public struct Settings: Sendable, Equatable {
        public var node: String
        public var group: String
        public var mode: TakeoverConfiguration.Mode
        public var deadTime: Double
        public var isolationTime: Double
        public var hasFence: Bool
        public var hasChecks: Bool
        /// This node keeps a replica that follows the owner (the configured standby while the configured primary
        /// holds the group). Only such a node may take over by itself.
        public var followsOwner: Bool
        /// The group has a witness (`WitnessView` in each observation).
        public var hasWitness: Bool
        /// The other node of the group the machine watches (empty: not said, as in tests of one pair). While a third
        /// node holds the group (the off-site node, after a recovery-site takeover), this node never takes over by
        /// itself: the peer's silence says nothing of the holder.
        public var peer: String
        /// The group has an off-site node, which may have taken it over at the recovery site while this node was
        /// down: a standby takes over by itself only once, since its start, it heard its peer or the off-site node.
        public var hasOffsite: Bool
        /// The primary runs no understudy (an agentless group): it is never heard, so its silence says nothing; it
        /// failed when its checks fail (with none, only `understudy failover` takes over).
        public var agentless: Bool

        public init(
            node: String, group: String, mode: TakeoverConfiguration.Mode, deadTime: Double, isolationTime: Double,
            hasFence: Bool, hasChecks: Bool, followsOwner: Bool = true, hasWitness: Bool = false, peer: String = "",
            hasOffsite: Bool = false, agentless: Bool = false
        ) {
            self.agentless = agentless
            self.peer = peer
            self.hasOffsite = hasOffsite
            self.followsOwner = followsOwner
            self.hasWitness = hasWitness
            self.node = node
            self.group = group
            self.mode = mode
            self.deadTime = deadTime
            self.isolationTime = isolationTime
            self.hasFence = hasFence
            self.hasChecks = hasChecks
        }
    }

    /// What the node observes at a tick, from its link liveness and check verdicts.
    public struct Observation: Sendable, Equatable {
        public var now: Double
        /// Seconds since anything was heard from the peer on any link.
        public var peerSilence: Double
        /// Every check of the group fails (false when any passes or is still unknown).
        public var serviceFailing: Bool
        /// Some check of the group passes.
        public var serviceAnswers: Bool
        /// The node's isolation check fails; nil when none is configured.
        public var isolationFailing: Bool?
        /// Every share of the group's replica completed a sync at least once: a half-copied replica must not
        /// become the live data by itself.
        public var replicaReady: Bool
        /// What the group's witness says; nil without a witness.
        public var witness: WitnessView?
        /// The group is in maintenance: a failure is reported, not acted on.
        public var maintenance: MaintenanceHold?

        public init(
            now: Double, peerSilence: Double, serviceFailing: Bool, isolationFailing: Bool? = nil,
            replicaReady: Bool = true,
            witness: WitnessView? = nil, maintenance: MaintenanceHold? = nil, serviceAnswers: Bool = false
        ) {
            self.serviceAnswers = serviceAnswers
            self.maintenance = maintenance
            self.now = now
            self.peerSilence = peerSilence
            self.serviceFailing = serviceFailing
            self.isolationFailing = isolationFailing
            self.replicaReady = replicaReady
            self.witness = witness
        }
    }

    public private(set) var settings: Settings
    public internal(set) var ownership: GroupOwnership
    public private(set) var phase: FailoverPhase
    public private(set) var phaseSince: Double
    /// Heard the peer at least once since start.
    public private(set) var peerHeard = false
    /// Heard the off-site node's view of the group at least once since start.
    public private(set) var offsiteHeard = false
    private var reportedUnknownHolder = false
    /// When the current failure of the primary was first seen (reset when it is heard again).
    public private(set) var failureSeenAt: Double?
    /// How long the primary had been silent when its failure was declared.
    private var silenceAtFailure: Double?
    private var reportedSilentButServing = false
    /// A higher ownership arrived while a takeover or acquisition was running: release once it ends.
    private var stepDownWhenDone = false
    /// The release under way is for isolation, not for a higher epoch.
    var isolating = false
    /// The ownership the takeover under way stores (the one in its `.takeOver`).
    private var takingOver: GroupOwnership?
    /// The standby failed its isolation check: it heard nothing because of itself. Once it passes again, the
    /// primary's silence counts from then (`listeningSince`).
    private var cutOff = false
    private var listeningSince = -Double.infinity
    /// The witness's veto of a takeover was told (once per silence of the primary).
    var reportedWitnessVeto = false
    /// The release under way, or the isolation, came from hearing neither the peer nor the witness.
    var isolatedByWitness = false
    /// An agentless group was handed back: its primary's services are started by hand afterwards, so its checks
    /// count only once one passed.
    var awaitingService = false
    /// The planned hand-over under way (see `FailoverStateMachine+HandOver.swift`); it outlives the phase
    /// `handingOver` while the node waits to hear its peer serving.
    public internal(set) var handOver: HandOver?

    public init(settings: Settings, ownership: GroupOwnership, at now: Double) {
        self.settings = settings
        self.ownership = ownership
        // A node that neither holds the group nor follows its holder (an old primary after a takeover) has stale
        // data: it must never take the group over by itself, even after a restart.
        self.phase = ownership.owner == settings.node ? .starting : settings.followsOwner ? .standby : .steppedDown
        self.phaseSince = now
    }

    public var isOwner: Bool { ownership.owner == settings.node }

    /// The group's checks were changed by a reload: with none, silence on every link alone means failure.
    public mutating func checksChanged(present: Bool) {
        settings.hasChecks = present
    }

    /// A node other than this one and its peer holds the group: the off-site node, after a recovery-site takeover.
    public var heldByThirdNode: Bool {
        !settings.peer.isEmpty && ownership.owner != settings.node && ownership.owner != settings.peer
    }

    /// Actions at start: a node that does not own the group removes any leftover service address (a crash may
    /// have left it), without stop scripts.
    public func startActions() -> [FailoverAction] {
        isOwner ? [] : [.release(runStopScripts: false)]
    }

    // MARK: - Events

    /// A heartbeat from the peer carrying its view of the group's ownership.
    public mutating func peerHeard(_ theirs: GroupOwnership, at now: Double) -> [FailoverAction] {
        peerHeard = true
        failureSeenAt = nil
        silenceAtFailure = nil
        reportedSilentButServing = false
        reportedWitnessVeto = false
        var actions: [FailoverAction] = []
        if theirs.supersedes(ownership), theirs.owner == settings.node, phase == .standby || phase == .fenceFailed {
            // The holder handed the group over (a switchover): take it at the epoch it chose. A node whose fence
            // failed follows the holder as a standby does; it hears it now, alive, handing the group over.
            failureSeenAt = now
            enter(.takingOver, at: now)
            takingOver = theirs
            return [
                .notify(
                    .takeoverStarted, .critical, topic: "switchover",
                    summary:
                        "\(settings.node) is taking over group \(settings.group): \(ownership.owner) handed it over",
                    detail: ""), .takeOver(theirs),
            ]
        }
        if theirs.supersedes(ownership) {
            let wasOwner = isOwner
            ownership = theirs
            actions.append(.recordOwnership(theirs))
            if wasOwner || phase == .starting || phase == .isolated {
                actions += stepDown(because: "node '\(theirs.owner)' holds \(theirs), newer than this node's", at: now)
            }
        } else if phase == .fenceFailed {
            enter(.standby, at: now)
        } else if phase == .isolated && theirs == ownership {
            // The peer is back and took nothing over: the address is ours again.
            isolatedByWitness = false
            enter(.acquiring, at: now)
            actions.append(.acquire)
        }
        if phase == .starting && theirs == ownership {
            enter(.acquiring, at: now)
            actions.append(.acquire)
        }
        return actions
    }

    /// The group's ownership as a node other than the peer told it (the off-site node, in a replication
    /// handshake): only a newer one counts, and it says nothing of the peer's liveness. A holder steps down at once.
    public mutating func ownershipLearned(_ theirs: GroupOwnership, at now: Double) -> [FailoverAction] {
        offsiteHeard = true
        // A takeover by this node is its own to store, never a third node's to say.
        guard theirs.supersedes(ownership), theirs.owner != settings.node else { return [] }
        let wasOwner = isOwner
        ownership = theirs
        var actions: [FailoverAction] = [.recordOwnership(theirs)]
        if wasOwner || phase == .starting || phase == .isolated {
            actions += stepDown(because: "node '\(theirs.owner)' holds \(theirs), newer than this node's", at: now)
        }
        return actions
    }

    /// Re-evaluates with what the node sees now.
    public mutating func tick(_ seen: Observation) -> [FailoverAction] {
        expireHandOver(at: seen.now) + tickPhase(seen)
    }

    private mutating func tickPhase(_ seen: Observation) -> [FailoverAction] {
        let now = seen.now
        switch phase {
        case .starting:
            // A node that cannot reach the world after a restart may be the one that was cut off while its peer
            // took over: it waits until it hears the peer, or its isolation check passes.
            if now - phaseSince >= settings.deadTime, seen.isolationFailing != true {
                enter(.acquiring, at: now)
                return [.acquire]
            }
        case .active:
            if let actions = isolateWithoutWitness(seen) { return actions }
            if let isolationFailing = seen.isolationFailing, isolationFailing,
                seen.peerSilence >= settings.isolationTime
            {
                enter(.releasing, at: now)
                isolating = true
                return [
                    .notify(
                        .stepDown, .critical, topic: "isolated",
                        summary:
                            "\(settings.node) gave up group \(settings.group): it hears no peer on any link and fails its isolation check",
                        detail:
                            "Silent for \(Self.seconds(seen.peerSilence)) s (isolation_time \(Self.seconds(settings.isolationTime)) s). It takes the address back only once it hears its peer again and no takeover happened."
                    ),
                    .release(runStopScripts: true),
                ]
            }
        case .standby, .fenceFailed:
            return watchPrimary(seen)
        case .isolated:
            return returnWithWitness(seen)
        case .steppedDown:
            break
        case .acquiring, .fencing, .takingOver, .releasing, .handingOver:
            break
        }
        return []
    }

    private mutating func watchPrimary(_ seen: Observation) -> [FailoverAction] {
        let now = seen.now
        // A standby that fails its own isolation check cannot tell a dead primary from its own cut cables: its
        // checks fail and the links are silent because of itself. Taking over would demote a healthy primary.
        if seen.isolationFailing == true {
            cutOff = true
            return []
        }
        if cutOff {
            cutOff = false
            listeningSince = now
        }
        if settings.agentless { return watchAgentlessPrimary(seen) }
        guard min(seen.peerSilence, now - listeningSince) >= settings.deadTime, !heldByThirdNode else { return [] }
        let failed = seen.serviceFailing || !settings.hasChecks
        if !failed {
            guard !reportedSilentButServing else { return [] }
            reportedSilentButServing = true
            return [
                .notify(
                    .linkDown, .warning, topic: "all-links",
                    summary:
                        "\(settings.node) hears nothing from the primary of group \(settings.group) on any link, but its service answers: no takeover",
                    detail:
                        "Silent for \(Self.seconds(seen.peerSilence)) s. Check the links (firewall, cables); a takeover now could make two primaries."
                )
            ]
        }
        return primaryFailed(seen)
    }

    /// The primary is found failed: alert, and take over in automatic mode (once per failure).
    mutating func primaryFailed(_ seen: Observation) -> [FailoverAction] {
        let now = seen.now
        guard failureSeenAt == nil, phase == .standby else { return [] }
        if settings.hasOffsite && !peerHeard && !offsiteHeard {
            // Back from a stop with nobody heard: the off-site node may hold the group at the recovery site.
            guard !reportedUnknownHolder else { return [] }
            reportedUnknownHolder = true
            return [
                .notify(
                    .primaryFailed, .warning, topic: "offsite",
                    summary:
                        "\(settings.node) hears neither \(ownership.owner) nor the off-site node of group \(settings.group) since it started: no takeover",
                    detail:
                        "The off-site node may have taken the group over at the recovery site meanwhile. This node takes over by itself once it hears either; to take over now, run: understudy failover \(settings.group)"
                )
            ]
        }
        if let veto = witnessVeto(seen) {
            guard !reportedWitnessVeto else { return [] }
            reportedWitnessVeto = true
            return [
                .notify(
                    .primaryFailed, .warning, topic: "witness",
                    summary:
                        "\(settings.node) hears nothing from \(ownership.owner) of group \(settings.group) and its checks fail, but \(veto): no takeover",
                    detail:
                        "Silent for \(Self.seconds(seen.peerSilence)) s. The witness breaks the tie when the two nodes cannot hear each other; it takes over once the witness no longer hears \(ownership.owner) either."
                )
            ]
        }
        failureSeenAt = now
        silenceAtFailure = seen.peerSilence
        if !seen.replicaReady {
            return [
                .notify(
                    .primaryFailed, .critical, topic: ownership.owner,
                    summary:
                        "primary \(ownership.owner) of group \(settings.group) failed, but \(settings.node)'s replica never completed its first sync: no takeover",
                    detail:
                        "Serving a partial copy could lose data. If the primary cannot come back, take over anyway with: understudy failover \(settings.group) --force"
                )
            ]
        }
        let owner = ownership.owner
        var actions: [FailoverAction] = [
            .notify(
                .primaryFailed, .critical, topic: owner,
                summary: settings.agentless
                    ? "primary \(owner) of group \(settings.group) failed: its service checks fail (it runs no understudy: no heartbeats to hear)"
                    : "primary \(owner) of group \(settings.group) failed: silent on every link for \(Self.seconds(seen.peerSilence)) s"
                        + (settings.hasChecks ? " and its service checks fail" : ""),
                detail: seen.maintenance.map {
                    "group \(settings.group) is in maintenance (since \($0.since), by \($0.by)): nothing is taken over. To take over, run: understudy failover \(settings.group); maintenance ends with: understudy maintenance \(settings.group) off"
                }
                    ?? (settings.mode == .auto
                        ? "Taking over now."
                        : "failover = \"manual\": nothing is taken over. To take over, run: understudy failover \(settings.group)")
            )
        ]
        if settings.mode == .auto && seen.maintenance == nil {
            actions += beginTakeover(at: now)
        }
        return actions
    }

    /// `understudy failover GROUP`: take over now, in either mode. Refused while the primary is heard (unless
    /// `force`), when this node owns the group already, or while something else runs.
    /// - Parameter serviceAnswers: a check of the group passes (an agentless primary, never heard, is judged by them).
    public mutating func manualFailover(
        at now: Double, peerSilence: Double, force: Bool, replicaReady: Bool = true,
        witness: WitnessView? = nil, serviceAnswers: Bool = false
    ) -> Result<[FailoverAction], ManualFailoverRefusal> {
        if isOwner && phase != .steppedDown { return .failure(.alreadyOwner(ownership)) }
        guard [.standby, .fenceFailed, .steppedDown].contains(phase) else { return .failure(.busy(phase)) }
        if heldByThirdNode && !force { return .failure(.heldElsewhere(ownership)) }
        if settings.agentless {
            if serviceAnswers && !force { return .failure(.serviceAnswers) }
        } else if peerSilence < settings.deadTime && !force {
            return .failure(.peerAlive(heardSecondsAgo: peerSilence))
        }
        if !force,
            let veto = witnessVeto(
                Observation(now: now, peerSilence: peerSilence, serviceFailing: true, witness: witness))
        {
            return .failure(.witnessDisagrees(veto))
        }
        if phase == .steppedDown && !settings.followsOwner && !force { return .failure(.staleData(ownership)) }
        if !replicaReady && !force { return .failure(.replicaIncomplete) }
        if failureSeenAt == nil {
            failureSeenAt = now
            silenceAtFailure = peerSilence
        }
        return .success(beginTakeover(at: now))
    }

    private mutating func beginTakeover(at now: Double) -> [FailoverAction] {
        let notice = FailoverAction.notify(
            .takeoverStarted, .critical, topic: "",
            summary: "\(settings.node) is taking over group \(settings.group) from \(ownership.owner)",
            detail: settings.hasFence ? "Fencing first." : "")
        if settings.hasFence {
            enter(.fencing, at: now)
            return [notice, .fence]
        }
        enter(.takingOver, at: now)
        let taken = ownership.takenOver(by: settings.node)
        takingOver = taken
        return [notice, .takeOver(taken)]
    }

    /// The engine stored the takeover's new ownership (before the address and scripts): heartbeats say it from
    /// now on, so a peer that comes back during the takeover steps down instead of taking the address too.
    public mutating func ownershipStored(_ stored: GroupOwnership) {
        guard phase == .takingOver, stored == takingOver, !ownership.supersedes(stored) else { return }
        ownership = stored
    }

    public mutating func fenceFinished(succeeded: Bool, detail: String, at now: Double) -> [FailoverAction] {
        guard phase == .fencing else { return [] }
        if succeeded {
            enter(.takingOver, at: now)
            let taken = ownership.takenOver(by: settings.node)
            takingOver = taken
            return [.takeOver(taken)]
        }
        enter(.fenceFailed, at: now)
        return [
            .notify(
                .takeoverFailed, .critical, topic: "fence",
                summary: "\(settings.node) did NOT take over group \(settings.group): the fence command failed",
                detail: detail
                    + "\nNothing was changed. Make sure the old primary is off, then run: understudy failover \(settings.group)"
            )
        ]
    }

    /// The engine ran `.takeOver`. `stored` is false when the new epoch could not be stored (nothing else was
    /// done then); `detail` holds each step with its duration.
    public mutating func takeoverFinished(
        stored: Bool, succeeded: Bool, detail: String, at now: Double
    ) -> [FailoverAction] {
        guard phase == .takingOver else { return [] }
        let taken = takingOver ?? ownership.takenOver(by: settings.node)
        takingOver = nil
        guard stored else {
            // A hand-over's epoch may have been recorded meanwhile, heard again from the node that handed it over:
            // by that record this node holds the group, and it takes it as a starting holder does.
            enter(isOwner ? .starting : .standby, at: now)
            return [
                .notify(
                    .takeoverFailed, .critical, topic: "epoch",
                    summary:
                        "\(settings.node) did NOT take over group \(settings.group): the new epoch could not be stored",
                    detail: detail)
            ]
        }
        // A newer ownership heard meanwhile (recorded then) beats the one just stored: keep it, and step down.
        let overtaken = ownership.supersedes(taken)
        if !overtaken { ownership = taken }
        enter(.active, at: now)
        var actions: [FailoverAction] = [
            .notify(
                succeeded ? .takeoverFinished : .takeoverFailed, .critical, topic: "",
                summary: succeeded
                    ? "\(settings.node) took over group \(settings.group) at epoch \(taken.epoch) in \(Self.seconds(now - (failureSeenAt ?? now))) s"
                        + (settings.agentless
                            ? ""
                            : silenceAtFailure.map {
                                ", \(Self.seconds($0 + now - (failureSeenAt ?? now))) s after the last heartbeat"
                            } ?? "")
                    : "\(settings.node) took over group \(settings.group) at epoch \(taken.epoch) but some steps failed",
                detail: detail)
        ]
        if stepDownWhenDone || overtaken {
            actions += stepDown(because: "a newer ownership arrived during the takeover", at: now)
        }
        return actions
    }

    public mutating func acquired(succeeded: Bool, detail: String, at now: Double) -> [FailoverAction] {
        guard phase == .acquiring else { return [] }
        enter(.active, at: now)
        if stepDownWhenDone || !isOwner {
            return stepDown(because: "a newer ownership arrived while taking the address", at: now)
        }
        return succeeded
            ? []
            : [
                .notify(
                    .takeoverFailed, .critical, topic: "acquire",
                    summary:
                        "\(settings.node) holds group \(settings.group) but could not take its address or start its services",
                    detail: detail)
            ]
    }

    /// The service address went from the interface without this node removing it: its kernel lifetime ran out (this
    /// node was frozen longer than that, so the peer may well have taken over meanwhile) or someone removed it. The node
    /// cannot tell which, so it gives the group up as an isolated primary does, and takes it back only once it hears
    /// the peer holding nothing newer.
    public mutating func addressLapsed(at now: Double) -> [FailoverAction] {
        guard phase == .active, isOwner else { return [] }
        enter(.releasing, at: now)
        isolating = true
        return [
            .notify(
                .stepDown, .critical, topic: "address-lapsed",
                summary:
                    "\(settings.node) gave up group \(settings.group): its service address went away without it (frozen longer than the address's lifetime, or removed by hand)",
                detail:
                    "Its services are stopped. It takes the group back once it hears its peer and no takeover happened; if the peer took over, it stays down."
            ),
            .release(runStopScripts: true),
        ]
    }

    /// The node that follows again after it stepped down is in step with the holder: it watches it and may take
    /// the group over again.
    public mutating func rejoined(at now: Double) {
        guard phase == .steppedDown, !isOwner else { return }
        enter(.standby, at: now)
    }

    public mutating func released(at now: Double) -> [FailoverAction] {
        if phase == .handingOver { return handOverReleased(at: now) }
        guard phase == .releasing else { return [] }
        enter(isolating ? .isolated : .steppedDown, at: now)
        isolating = false
        stepDownWhenDone = false
        return []
    }

    private mutating func stepDown(because reason: String, at now: Double) -> [FailoverAction] {
        switch phase {
        case .takingOver, .acquiring, .fencing:
            stepDownWhenDone = true
            return []
        case .releasing:
            // Giving the group up already (isolated, or its address lapsed): it now stays down, and says why.
            let wasIsolating = isolating
            isolating = false
            return wasIsolating ? [steppedDownWhileDown(because: reason)] : []
        case .steppedDown:
            return []
        case .handingOver:
            return overtakenDuringHandOver(because: reason, at: now)
        case .isolated:
            enter(.steppedDown, at: now)
            return [steppedDownWhileDown(because: reason)]
        default:
            // A starting owner may hold the address and run the services of its last life (the daemon, not the
            // machine, restarted): give them up too.
            let held = phase == .active || phase == .starting
            enter(held ? .releasing : .steppedDown, at: now)
            var actions: [FailoverAction] = [
                .notify(
                    .stepDown, .critical, topic: "epoch",
                    summary: "\(settings.node) stepped down from group \(settings.group): \(reason)",
                    detail:
                        "It releases the service address and runs its stop scripts, and will not take the group back by itself."
                )
            ]
            if held { actions.append(.release(runStopScripts: true)) }
            return actions
        }
    }

    /// The step-down of a node that had given the group up already (address and services down).
    private func steppedDownWhileDown(because reason: String) -> FailoverAction {
        .notify(
            .stepDown, .critical, topic: "epoch",
            summary: "\(settings.node) stepped down from group \(settings.group): \(reason)",
            detail: "It had given the group up already (address and services down) and will not take it back by itself."
        )
    }

    /// The current failure of the primary is over (it is served again): a later one is told afresh.
    mutating func forgetFailure() {
        failureSeenAt = nil
        silenceAtFailure = nil
        reportedSilentButServing = false
    }

    mutating func enter(_ next: FailoverPhase, at now: Double) {
        phase = next
        phaseSince = now
    }

    public static func seconds(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return String(rounded)
    }
}
