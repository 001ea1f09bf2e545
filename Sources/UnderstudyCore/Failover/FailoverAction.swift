/// What the failover state machine asks its node to do. The engine performs each and reports back
/// (`FailoverStateMachine.fenceFinished`, `.takeoverFinished`, `.acquired`, `.released`).
public enum FailoverAction: Sendable, Equatable {
    /// Tell the administrator (the engine stamps node and time).
    case notify(NotificationEvent.Kind, NotificationEvent.Severity, topic: String, summary: String, detail: String)
    /// Store a newer ownership learned from the peer, durably, before anything else.
    case recordOwnership(GroupOwnership)
    /// Run the fence command; report `fenceFinished`.
    case fence
    /// Store `ownership` durably FIRST, then stop receiving (the replica becomes the live data), add and announce
    /// the service address, run the start scripts; report `takeoverFinished`.
    case takeOver(GroupOwnership)
    /// This node owns the group already (start, or the end of an isolation): add and announce the address, run
    /// the start scripts; report `acquired`.
    case acquire
    /// Remove the service address and, when `runStopScripts`, run the stop scripts; report `released`.
    case release(runStopScripts: Bool)
    /// A hand-over's first step: run the stop scripts alone (the address stays); report `servicesStopped`.
    case stopServices
    /// Wait until the follower acknowledged every captured change (durable there), at most `timeout` seconds;
    /// report `drainFinished`. `force`: the hand-over goes on even if it does not drain.
    case drain(timeout: Double, force: Bool)
    /// Store `next` (the peer's epoch) durably; report `handOverStored`. The peer takes the group once it hears it.
    case handOver(GroupOwnership)
    /// The hand-over ended: tell the administrator and whoever asked for it.
    case handOverEnded(HandOver.Outcome)
}

/// Why a group's node is in its phase, for status and logs.
public enum FailoverPhase: String, Sendable, Equatable, Codable, CustomStringConvertible {
    /// Owner by epoch, just started: waits to hear the peer (it may hold a higher epoch) or the dead time.
    case starting
    /// Taking the address and starting services it owns already.
    case acquiring
    /// Serving: holds the address (the group's primary).
    case active
    /// Watching the primary, replica following.
    case standby
    /// Running the fence command before a takeover.
    case fencing
    /// Taking over: epoch, replica, address, scripts.
    case takingOver = "taking-over"
    /// Fence failed: no takeover until the primary is heard again and fails again, or `understudy failover`.
    case fenceFailed = "fence-failed"
    /// Giving up the address.
    case releasing
    /// Handing the group to the peer (a switchover or failback): stopping services, draining, releasing, storing.
    case handingOver = "handing-over"
    /// Gave up the group to a higher epoch; never takes it back by itself.
    case steppedDown = "stepped-down"
    /// Gave up the address because it heard nobody and could not reach its isolation check; takes it back only
    /// when the peer is heard and still names it owner.
    case isolated

    public var description: String { rawValue }
}
