/// An agentless group's primary runs no understudy: it is never heard, so it is judged by its checks alone. And
/// `understudy failback` of such a group, on the node that serves it: its primary runs no understudy, so no
/// planned hand-over can take place; the node stops its services, copies the changes back through the primary's
/// mounts (the engine does), and stores the primary's ownership at the next epoch itself. Meanwhile the machine is
/// `handingOver`: no takeover, acquisition or second failback starts.
extension FailoverStateMachine {
    /// An agentless primary failed when every check of its service fails; passing again, it may fail again later.
    /// After a failback it is judged only once a check passed: its services start after the hand-back.
    mutating func watchAgentlessPrimary(_ seen: Observation) -> [FailoverAction] {
        if awaitingService {
            guard seen.serviceAnswers else { return [] }
            awaitingService = false
        }
        guard settings.hasChecks, seen.serviceFailing else {
            if phase == .standby { forgetFailure() }
            return []
        }
        return primaryFailed(seen)
    }

    /// The ownership to store once the changes went back, or nil when this node does not serve the agentless group
    /// now (then nothing changes).
    public mutating func beginHandBack(at now: Double) -> GroupOwnership? {
        guard settings.agentless, isOwner, phase == .active, handOver == nil else { return nil }
        enter(.handingOver, at: now)
        return GroupOwnership(epoch: ownership.epoch + 1, owner: settings.peer)
    }

    /// The hand-back ended: with the primary's ownership stored this node is its standby again (and may take over
    /// when it fails again, once a check of its service passed); without (the copy failed), it serves the group
    /// again.
    public mutating func handBackEnded(stored: GroupOwnership?, at now: Double) -> [FailoverAction] {
        guard settings.agentless, phase == .handingOver, handOver == nil else { return [] }
        guard let stored else {
            enter(.acquiring, at: now)
            return [.acquire]
        }
        ownership = stored
        forgetFailure()
        awaitingService = true
        enter(.standby, at: now)
        return []
    }
}
