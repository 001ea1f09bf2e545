/// The planned hand-over (`HandOver`) as events of the group's machine: each step's outcome comes in with the time,
/// the next step goes out as an action.
extension FailoverStateMachine {
    /// The administrator (or `failback = "auto"`) asks to hand the group to `peer`. Refused unless this node serves
    /// the group and no hand-over is under way; the engine checks the peer's readiness before it asks.
    public mutating func requestHandOver(
        to peer: String, force: Bool, drainTimeout: Double, at now: Double
    ) -> Result<[FailoverAction], HandOver.Refusal> {
        if let handOver { return .failure(.underWay(handOver.step)) }
        guard isOwner, phase == .active else { return .failure(.notServing(phase)) }
        handOver = HandOver(
            step: .stoppingServices, peer: peer, next: ownership.takenOver(by: peer), force: force,
            drainTimeout: drainTimeout, startedAt: now)
        enter(.handingOver, at: now)
        return .success([
            .notify(
                .takeoverStarted, .warning, topic: "switchover",
                summary: "switchover of group \(settings.group) from \(settings.node) to \(peer) started", detail: ""),
            .stopServices,
        ])
    }

    /// The stop scripts ran: drain the mirror.
    public mutating func servicesStopped(at now: Double) -> [FailoverAction] {
        guard phase == .handingOver, var handOver, handOver.step == .stoppingServices else { return [] }
        handOver.step = .draining
        self.handOver = handOver
        return [.drain(timeout: handOver.drainTimeout, force: handOver.force)]
    }

    /// The drain ended: every change acknowledged by the follower (`drained`), or its time ran out. Without
    /// `--force` an undrained mirror ends the hand-over, and the services start again here.
    public mutating func drainFinished(drained: Bool, at now: Double) -> [FailoverAction] {
        guard phase == .handingOver, var handOver, handOver.step == .draining else { return [] }
        guard drained || handOver.force else {
            self.handOver = nil
            enter(.acquiring, at: now)
            return [.acquire, .handOverEnded(.notDrained(timeout: handOver.drainTimeout))]
        }
        handOver.step = .releasing
        self.handOver = handOver
        return [.release(runStopScripts: false)]
    }

    /// The address is given up: store the next epoch (durably, before the peer may learn it).
    mutating func handOverReleased(at now: Double) -> [FailoverAction] {
        guard var handOver, handOver.step == .releasing else { return [] }
        handOver.step = .storing
        handOver.releasedAt = now
        self.handOver = handOver
        return [.handOver(handOver.next)]
    }

    /// The engine stored the next epoch (`stored`), or could not: then nothing was handed over, and the services
    /// start again here.
    public mutating func handOverStored(_ stored: Bool, at now: Double) -> [FailoverAction] {
        guard phase == .handingOver, var handOver, handOver.step == .storing else { return [] }
        guard stored else {
            self.handOver = nil
            enter(.acquiring, at: now)
            return [.acquire, .handOverEnded(.notStored)]
        }
        // Heartbeats say the next epoch from now on: the peer takes the group at its next one.
        ownership = handOver.next
        handOver.step = .awaitingPeer
        handOver.storedAt = now
        self.handOver = handOver
        enter(.steppedDown, at: now)
        return []
    }

    /// The peer says its phase for the group (in each heartbeat). Once it serves, the hand-over is done.
    public mutating func peerReported(_ peerPhase: FailoverPhase, at now: Double) -> [FailoverAction] {
        guard let handOver, handOver.step == .awaitingPeer, peerPhase == .active else { return [] }
        self.handOver = nil
        return [
            .handOverEnded(
                .done(outage: now - handOver.startedAt, sinceRelease: now - (handOver.releasedAt ?? handOver.startedAt))
            )
        ]
    }

    /// A hand-over whose peer was not heard serving within `HandOver.peerWait` ends (the peer holds the group).
    mutating func expireHandOver(at now: Double) -> [FailoverAction] {
        guard let handOver, handOver.step == .awaitingPeer, let storedAt = handOver.storedAt,
            now - storedAt >= HandOver.peerWait
        else { return [] }
        self.handOver = nil
        return [.handOverEnded(.peerNotSeen(handOver.next, waited: now - storedAt))]
    }

    /// A newer ownership arrived while this node was handing the group over: the hand-over ends, and the node gives
    /// the group up to the newer holder (its address, and the services it may have left running).
    mutating func overtakenDuringHandOver(because reason: String, at now: Double) -> [FailoverAction] {
        handOver = nil
        enter(.releasing, at: now)
        return [
            .notify(
                .stepDown, .critical, topic: "epoch",
                summary: "\(settings.node) stepped down from group \(settings.group): \(reason)",
                detail:
                    "It was handing the group over; it releases the service address and runs its stop scripts, and will not take the group back by itself."
            ),
            .release(runStopScripts: true),
            .handOverEnded(.overtaken(ownership)),
        ]
    }
}
