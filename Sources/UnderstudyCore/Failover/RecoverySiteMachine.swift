/// The off-site node's decision for one group, as a value: events in (with the time), actions out. It keeps the
/// off-site copy until `understudy failover GROUP` is run there (manual only: only the administrator can tell a
/// lost main site from a cut link); then it takes the group over at the recovery site; a newer ownership heard from
/// the group's other nodes steps it down at once; a holder that restarts takes its address back after the dead
/// time, unless it heard something newer meanwhile.
///
/// It speaks `FailoverAction`: `.fence`, `.takeOver`, `.acquire`, `.release`, `.recordOwnership`, `.notify`; the
/// engine performs them with the recovery site's address, interface and scripts and reports back.
public struct RecoverySiteMachine: Sendable {
    public struct Settings: Sendable, Equatable {
        public var node: String
        public var group: String
        public var hasFence: Bool
        /// How long a holder that restarts waits to hear a newer ownership before it takes its address back.
        public var deadTime: Double

        public init(node: String, group: String, hasFence: Bool, deadTime: Double) {
            self.node = node
            self.group = group
            self.hasFence = hasFence
            self.deadTime = deadTime
        }
    }

    public enum Refusal: CodedError, Sendable, Equatable {
        case alreadyOwner(GroupOwnership)
        case busy(FailoverPhase)
        /// The standby or the primary feeds this node's copy now: the main site is up.
        case fed(by: String)
        case replicaIncomplete

        public var message: String {
            switch self {
            case .alreadyOwner(let ownership): "this node holds it already (\(ownership))"
            case .busy(let phase): "the group is \(phase.rawValue) here; wait until that ends"
            case .fed(let feeder):
                "\(feeder) feeds this node's copy right now, so the main site is up; a takeover here would make two primaries. Stop the group there first, or use --force (the main site steps down when it hears the higher epoch)"
            case .replicaIncomplete:
                "this node's off-site copy has not completed its first sync; serving it would serve a partial copy. Use --force only if nothing better exists"
            }
        }

        public var errorCode: String {
            switch self {
            case .alreadyOwner: "already-holder"
            case .busy: "busy"
            case .fed: "peer-alive"
            case .replicaIncomplete: "replica-incomplete"
            }
        }
    }

    public let settings: Settings
    public private(set) var ownership: GroupOwnership
    /// `.standby` while it keeps the copy; `.fencing`, `.takingOver`, `.active`, `.starting`, `.acquiring` and
    /// `.releasing` as for the pair's machine.
    public private(set) var phase: FailoverPhase
    public private(set) var phaseSince: Double
    private var takingOver: GroupOwnership?
    private var stepDownWhenDone = false

    public init(settings: Settings, ownership: GroupOwnership, at now: Double) {
        self.settings = settings
        self.ownership = ownership
        phase = ownership.owner == settings.node ? .starting : .standby
        phaseSince = now
    }

    public var isOwner: Bool { ownership.owner == settings.node }

    /// At start: a node that does not hold the group removes any address a crash left, without stop scripts.
    public func startActions() -> [FailoverAction] {
        isOwner ? [] : [.release(runStopScripts: false)]
    }

    /// A restarted holder takes its address back once the dead time passed with nothing newer heard.
    public mutating func tick(at now: Double) -> [FailoverAction] {
        guard phase == .starting, now - phaseSince >= settings.deadTime else { return [] }
        enter(.acquiring, at: now)
        return [.acquire]
    }

    /// `understudy failover GROUP` on the off-site node.
    /// - Parameters:
    ///   - feeder: the node that feeds the copy over a live connection now, if any.
    ///   - replicaReady: every share completed a sync once.
    public mutating func manualFailover(
        at now: Double, feeder: String?, replicaReady: Bool, force: Bool
    ) -> Result<[FailoverAction], Refusal> {
        if isOwner { return .failure(.alreadyOwner(ownership)) }
        guard phase == .standby else { return .failure(.busy(phase)) }
        if let feeder, !force { return .failure(.fed(by: feeder)) }
        if !replicaReady && !force { return .failure(.replicaIncomplete) }
        let notice = FailoverAction.notify(
            .takeoverStarted, .critical, topic: "recovery-site",
            summary:
                "\(settings.node) is taking over group \(settings.group) at the recovery site from \(ownership.owner)",
            detail: settings.hasFence ? "Fencing first." : "")
        if settings.hasFence {
            enter(.fencing, at: now)
            return .success([notice, .fence])
        }
        return .success([notice, beginTakeover(at: now)])
    }

    public mutating func fenceFinished(succeeded: Bool, detail: String, at now: Double) -> [FailoverAction] {
        guard phase == .fencing else { return [] }
        if succeeded && !stepDownWhenDone { return [beginTakeover(at: now)] }
        stepDownWhenDone = false
        enter(.standby, at: now)
        return [
            .notify(
                .takeoverFailed, .critical, topic: "fence",
                summary: succeeded
                    ? "\(settings.node) did NOT take over group \(settings.group): \(ownership.owner) holds \(ownership), heard while fencing"
                    : "\(settings.node) did NOT take over group \(settings.group): the fence command failed",
                detail: detail + "\nNothing was changed.")
        ]
    }

    private mutating func beginTakeover(at now: Double) -> FailoverAction {
        enter(.takingOver, at: now)
        let taken = ownership.takenOver(by: settings.node)
        takingOver = taken
        return .takeOver(taken)
    }

    /// The engine stored the takeover's ownership (before the address and scripts).
    public mutating func ownershipStored(_ stored: GroupOwnership) {
        guard phase == .takingOver, stored == takingOver, !ownership.supersedes(stored) else { return }
        ownership = stored
    }

    public mutating func takeoverFinished(
        stored: Bool, succeeded: Bool, detail: String, at now: Double
    ) -> [FailoverAction] {
        guard phase == .takingOver else { return [] }
        let taken = takingOver ?? ownership.takenOver(by: settings.node)
        takingOver = nil
        guard stored else {
            enter(.standby, at: now)
            return [
                .notify(
                    .takeoverFailed, .critical, topic: "epoch",
                    summary:
                        "\(settings.node) did NOT take over group \(settings.group): the new epoch could not be stored",
                    detail: detail)
            ]
        }
        let overtaken = ownership.supersedes(taken)
        if !overtaken { ownership = taken }
        enter(.active, at: now)
        var actions: [FailoverAction] = [
            .notify(
                succeeded ? .takeoverFinished : .takeoverFailed, .critical, topic: "recovery-site",
                summary:
                    "\(settings.node) took over group \(settings.group) at the recovery site at epoch \(taken.epoch)"
                    + (succeeded ? "" : ", but some steps failed"),
                detail: detail)
        ]
        if stepDownWhenDone || overtaken { actions += stepDown(at: now) }
        return actions
    }

    public mutating func acquired(succeeded: Bool, detail: String, at now: Double) -> [FailoverAction] {
        guard phase == .acquiring else { return [] }
        enter(.active, at: now)
        if stepDownWhenDone || !isOwner { return stepDown(at: now) }
        return succeeded
            ? []
            : [
                .notify(
                    .takeoverFailed, .critical, topic: "acquire",
                    summary:
                        "\(settings.node) holds group \(settings.group) at the recovery site but could not take its address or start its services",
                    detail: detail)
            ]
    }

    /// A member of the group told its view (a handshake). Only a newer ownership, of another node, counts: it is
    /// stored first, and a holder gives the group up at once (or once the step under way ends).
    public mutating func ownershipHeard(_ theirs: GroupOwnership, at now: Double) -> [FailoverAction] {
        guard theirs.supersedes(ownership), theirs.owner != settings.node else { return [] }
        ownership = theirs
        return [.recordOwnership(theirs)] + stepDown(at: now)
    }

    public mutating func released(at now: Double) -> [FailoverAction] {
        guard phase == .releasing else { return [] }
        enter(.standby, at: now)
        return []
    }

    private mutating func stepDown(at now: Double) -> [FailoverAction] {
        switch phase {
        case .fencing, .takingOver, .acquiring:
            stepDownWhenDone = true
            return []
        case .active, .starting:
            stepDownWhenDone = false
            enter(.releasing, at: now)
            return [
                .notify(
                    .stepDown, .critical, topic: "epoch",
                    summary:
                        "\(settings.node) stepped down from group \(settings.group) at the recovery site: \(ownership.owner) holds \(ownership)",
                    detail:
                        "It releases the recovery site's address and runs its stop scripts; its changes not yet on \(ownership.owner) go there as conflict copies when it reconciles."
                ),
                .release(runStopScripts: true),
            ]
        default:
            return []
        }
    }

    private mutating func enter(_ next: FailoverPhase, at now: Double) {
        phase = next
        phaseSince = now
    }
}
