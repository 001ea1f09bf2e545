/// The witness's part in the decision (`WitnessConfiguration`): it can veto a takeover, make a primary that hears
/// neither its peer nor the witness give the group up, and let that primary take it back once the witness vouches
/// that the peer cannot have taken over meanwhile.
extension FailoverStateMachine {
    /// The witness as this node sees it now.
    public struct WitnessView: Sendable, Equatable {
        /// How it is named in messages ("node gamma", "tcp 10.0.0.9:443").
        public var name: String
        /// This node hears the witness (its heartbeats, or its check passes).
        public var reachable: Bool
        /// How long the witness has not heard the group's owner; nil when it cannot tell (a target) or has not said.
        public var ownerSilence: Double?
        /// How long the witness has not heard this node's peer; nil likewise.
        public var peerSilence: Double?
        /// The witness can say whom it hears (a node witness); a target only answers.
        public var reports: Bool

        public init(
            name: String, reachable: Bool, ownerSilence: Double? = nil, peerSilence: Double? = nil, reports: Bool = true
        ) {
            self.name = name
            self.reachable = reachable
            self.ownerSilence = ownerSilence
            self.peerSilence = peerSilence
            self.reports = reports
        }
    }

    /// Why the witness forbids a takeover now, or nil when it agrees (or there is none).
    func witnessVeto(_ seen: Observation) -> String? {
        guard settings.hasWitness else { return nil }
        guard let witness = seen.witness else { return "its witness is not known yet" }
        guard witness.reachable else {
            return "it cannot reach its witness (\(witness.name)) either, so it may be the node that is cut off"
        }
        guard witness.reports else { return nil }
        guard let silence = witness.ownerSilence else {
            return "its witness (\(witness.name)) has not said whether it hears \(ownership.owner)"
        }
        if silence < settings.deadTime {
            return "its witness (\(witness.name)) still hears \(ownership.owner) (\(Self.seconds(silence)) s ago)"
        }
        return nil
    }

    /// The owner hears neither its peer (for the isolation time) nor its witness: it is the one cut off, and gives the
    /// group up before the standby (which the witness may allow) takes it.
    mutating func isolateWithoutWitness(_ seen: Observation) -> [FailoverAction]? {
        guard settings.hasWitness, seen.peerSilence >= settings.isolationTime, seen.witness?.reachable != true else {
            return nil
        }
        enter(.releasing, at: seen.now)
        isolating = true
        isolatedByWitness = true
        let name = seen.witness?.name ?? "its witness"
        return [
            .notify(
                .stepDown, .critical, topic: "isolated",
                summary:
                    "\(settings.node) gave up group \(settings.group): it hears neither its peer nor its witness (\(name))",
                detail:
                    "Silent for \(Self.seconds(seen.peerSilence)) s (isolation_time \(Self.seconds(settings.isolationTime)) s). It takes the group back once it hears its peer and no takeover happened, or once the witness says the peer has been silent since before this."
            ),
            .release(runStopScripts: true),
        ]
    }

    /// An owner isolated for want of its peer and witness takes the group back when the witness is heard again and has
    /// not heard the peer for at least as long as this node has not: the peer lost the witness no later than it lost
    /// this node, so it never had the witness's agreement to take over.
    mutating func returnWithWitness(_ seen: Observation) -> [FailoverAction] {
        guard isolatedByWitness, seen.isolationFailing != true, let witness = seen.witness, witness.reachable,
            let peerSilence = witness.peerSilence, peerSilence >= seen.peerSilence + settings.deadTime
        else { return [] }
        isolatedByWitness = false
        enter(.acquiring, at: seen.now)
        return [
            .notify(
                .takeoverStarted, .critical, topic: "witness",
                summary:
                    "\(settings.node) takes group \(settings.group) back: its witness (\(witness.name)) is heard again and has not heard the peer for \(Self.seconds(peerSilence)) s",
                detail: "The peer could not reach the witness all that time, so it cannot have taken the group over."),
            .acquire,
        ]
    }
}
