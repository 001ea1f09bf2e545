/// What a node hears and checks between its ticks (the link liveness of each peer, the verdicts of the checks, what
/// each witness reported), and each group's `FailoverStateMachine.Observation` made of it at a tick. The engine and
/// the two-node simulation both observe through it, so the rules below exist once:
///
/// - **The freeze rule.** Ticks come every 20 ms. A gap of half the dead time (at least 250 ms, at most 1 s) means
///   the node itself was frozen (a paused VM, a stopped process): the silence it sees then is its own, not its
///   peers'. It listens afresh before it judges, so a resumed standby does not take over from a primary that sent
///   heartbeats all along.
/// - **Service failure** is every check of the group failing (none configured: never).
/// - **The witness** is judged lost by the owner after the isolation time and by the standby after the dead time, so
///   that the owner gives up before the standby may take over; a witness node's report older than the dead time
///   says nothing of now.
public struct FailoverObserver: Sendable {
    /// A group as its observation needs it.
    public struct Group: Sendable, Equatable {
        public var name: String
        /// The group's other node, whose heartbeats and service this node watches.
        public var peer: String
        public var witness: WitnessConfiguration?

        public init(name: String, peer: String, witness: WitnessConfiguration? = nil) {
            self.name = name
            self.peer = peer
            self.witness = witness
        }
    }

    /// What a witness node said in its last heartbeat: how long it had not heard each node, and when it said it.
    public struct WitnessReport: Sendable, Equatable {
        public var hearings: [String: Double]
        public var at: Double

        public init(hearings: [String: Double], at: Double) {
            self.hearings = hearings
            self.at = at
        }
    }

    public let node: String
    public let deadTime: Double
    public let isolationTime: Double
    /// Each peer's links (a group's peer, a witness node, a node this one witnesses), by peer.
    public var liveness: [String: LinkLiveness] = [:]
    /// Each group's service checks, by group and check name.
    public var checks: [String: [String: CheckHealth]] = [:]
    /// The node's isolation check (nil: none configured).
    public var isolation: CheckHealth?
    /// What each witness node last reported, by witness.
    public var witnessReports: [String: WitnessReport] = [:]
    /// The verdict of each group's target witness, by group.
    public var witnessChecks: [String: CheckHealth] = [:]
    public private(set) var lastTick: Double?

    public init(node: String, deadTime: Double, isolationTime: Double) {
        self.node = node
        self.deadTime = deadTime
        self.isolationTime = isolationTime
    }

    /// The gap between ticks that means this node was frozen.
    public var freezeGap: Double { max(0.25, min(1, deadTime / 2)) }

    /// Starts a tick at `now`: applies the freeze rule and evaluates every link. Returns how long the node was frozen
    /// (nil: it was not) and the links that changed, by peer.
    public mutating func tick(
        at now: Double
    ) -> (frozenFor: Double?, links: [(peer: String, event: LinkLiveness.Event)]) {
        var frozenFor: Double?
        if let last = lastTick, now - last > freezeGap {
            frozenFor = now - last
            for peer in liveness.keys { liveness[peer]!.listenAfresh(at: now) }
        }
        lastTick = now
        var events: [(peer: String, event: LinkLiveness.Event)] = []
        for peer in liveness.keys.sorted() {
            events += liveness[peer]!.evaluate(at: now).map { (peer, $0) }
        }
        return (frozenFor, events)
    }

    /// The node's isolation check fails (nil: none configured).
    public var isolationFailing: Bool? { isolation.map { $0.state == .failing } }

    /// Every check of the group fails (false when any passes or is unknown, or none is configured).
    public func serviceFailing(_ group: String) -> Bool {
        let checks = checks[group] ?? [:]
        return !checks.isEmpty && checks.values.allSatisfy { $0.state == .failing }
    }

    /// Some check of the group passes now.
    public func serviceAnswers(_ group: String) -> Bool {
        (checks[group] ?? [:]).values.contains { $0.state == .passing }
    }

    /// Seconds since anything was heard from `peer` on any link (infinity: not a watched peer).
    public func silence(of peer: String, at now: Double) -> Double {
        liveness[peer]?.silence(at: now) ?? .infinity
    }

    /// The group's observation at `now`, for a machine whose ownership names `owner` (nil: its peer is not watched).
    public func observation(
        of group: Group, owner: String, replicaReady: Bool, maintenance: MaintenanceHold? = nil, at now: Double
    ) -> FailoverStateMachine.Observation? {
        guard let peer = liveness[group.peer] else { return nil }
        return FailoverStateMachine.Observation(
            now: now, peerSilence: peer.silence(at: now), serviceFailing: serviceFailing(group.name),
            isolationFailing: isolationFailing, replicaReady: replicaReady,
            witness: witnessView(of: group, owner: owner, at: now), maintenance: maintenance,
            serviceAnswers: serviceAnswers(group.name))
    }

    /// The group's witness as this node sees it now (nil without one): whether it is reachable, and (a witness node)
    /// how long it has not heard the owner and this node's peer, by its last report aged since.
    public func witnessView(of group: Group, owner: String, at now: Double) -> FailoverStateMachine.WitnessView? {
        let lostAfter = owner == node ? isolationTime : deadTime
        switch group.witness {
        case nil:
            return nil
        case .target(let check):
            return .init(
                name: "\(check.probe.typeName) \(check.probe.target)",
                reachable: witnessChecks[group.name]?.state == .passing, reports: false)
        case .node(let witness):
            let reachable = silence(of: witness, at: now) < lostAfter
            guard reachable, let report = witnessReports[witness], now - report.at < deadTime else {
                return .init(name: "node \(witness)", reachable: reachable)
            }
            let age = now - report.at
            return .init(
                name: "node \(witness)", reachable: true, ownerSilence: report.hearings[owner].map { $0 + age },
                peerSilence: report.hearings[group.peer].map { $0 + age })
        }
    }
}

extension GroupConfiguration {
    /// The group as `node` observes it.
    public func observed(by node: String) -> FailoverObserver.Group {
        FailoverObserver.Group(name: name, peer: peer(of: node), witness: takeover.witness)
    }
}
