import Foundation
import UnderstudyCore
import UnderstudyReplication

/// The off-site node's part in failover: `understudy failover GROUP` there takes the group over at the recovery
/// site (manual only, with the recovery site's address, interface and scripts); a newer ownership heard from the
/// group's other nodes steps it down again; a holder that restarts takes its address back once nothing newer came.
///
/// The rule that at most one node serves a group holds across the three nodes by epoch: the takeover stores the
/// highest epoch this node knows plus one, every handshake between two members of a group tells both sides who holds
/// it, and a node that hears a newer ownership steps down at once.
extension FailoverService {
    /// `understudy failover GROUP` on the group's off-site node.
    func recoveryTakeover(_ group: GroupConfiguration, force: Bool) -> Result<String, FailoverRefusal> {
        let ownership = runtime.ownership(group: group.name) ?? GroupOwnership.initial(of: group)
        if ownership.owner == runtime.name {
            return .failure(
                FailoverRefusal(
                    errorCode: "already-holder",
                    message: "no takeover of group \(group.name): this node holds it already (\(ownership))"))
        }
        let status = runtime.status.snapshot(now: runtime.now()).first { $0.name == group.name }
        if !force, let status, status.peerConnected {
            return .failure(
                FailoverRefusal(
                    errorCode: "peer-alive",
                    message:
                        "no takeover of group \(group.name): \(status.peer) feeds this node's copy right now, so the main site is up; a takeover here would make two primaries. Stop the group there first, or use --force (the main site steps down when it hears the higher epoch)"
                ))
        }
        if !force, let status, status.shares.contains(where: { $0.lastSyncAt == nil }) {
            return .failure(
                FailoverRefusal(
                    errorCode: "replica-incomplete",
                    message:
                        "no takeover of group \(group.name): this node's off-site copy has not completed its first sync; serving it would serve a partial copy. Use --force only if nothing better exists"
                ))
        }
        let started = state.withLockedValue { $0.recoveryTakeovers.insert(group.name).inserted }
        guard started, let actions = recoveryActions[group.name] else {
            return .failure(
                FailoverRefusal(
                    errorCode: "busy", message: "no takeover of group \(group.name): a takeover of it is under way"))
        }
        runtime.logger.notice(
            "group \(group.name): takeover at the recovery site asked for by the administrator\(force ? " (forced)" : "")"
        )
        spawn {
            await self.takeOverAtRecoverySite(group, actions: actions, from: ownership)
            _ = self.state.withLockedValue { $0.recoveryTakeovers.remove(group.name) }
        }
        return .success(
            "taking over group \(group.name) at the recovery site; `understudy status` shows its progress, the log each step"
        )
    }

    private func takeOverAtRecoverySite(
        _ group: GroupConfiguration, actions: GroupActions, from previous: GroupOwnership
    ) async {
        let name = group.name
        tell(
            NotificationEvent(
                kind: .takeoverStarted, severity: .critical, node: runtime.name, group: name, topic: "recovery-site",
                summary: "\(runtime.name) is taking over group \(name) at the recovery site from \(previous.owner)",
                detail: group.takeover.fence == nil ? "" : "Fencing first.", time: runtime.clock.wallSeconds()))
        if group.takeover.fence != nil {
            let (succeeded, detail) = await actions.fence()
            guard succeeded else {
                tell(
                    NotificationEvent(
                        kind: .takeoverFailed, severity: .critical, node: runtime.name, group: name, topic: "fence",
                        summary: "\(runtime.name) did NOT take over group \(name): the fence command failed",
                        detail: detail + "\nNothing was changed.", time: runtime.clock.wallSeconds()))
                return
            }
        }
        // What was heard while fencing counts: the new epoch is above every one this node knows.
        let known = runtime.ownership(group: name) ?? previous
        let taken = known.takenOver(by: runtime.name)
        let started = runtime.now()
        let (stored, report) = await actions.takeOver(taken)
        if stored { FailoverMetrics.takeover(group: name, kind: "recovery-site", seconds: runtime.now() - started) }
        runtime.event(stored ? .warning : .error, .takeover, "group \(name): " + report.lines.joined(separator: "; "))
        tell(
            NotificationEvent(
                kind: stored && report.succeeded ? .takeoverFinished : .takeoverFailed, severity: .critical,
                node: runtime.name, group: name, topic: "recovery-site",
                summary: stored
                    ? "\(runtime.name) took over group \(name) at the recovery site at epoch \(taken.epoch) in \(FailoverStateMachine.seconds(runtime.now() - started)) s"
                        + (report.succeeded ? "" : ", but some steps failed")
                    : "\(runtime.name) did NOT take over group \(name): the new epoch could not be stored",
                detail: report.text, time: runtime.clock.wallSeconds()))
    }

    /// A member of `group` told its view in a handshake. Only a newer ownership counts: it is stored; a node that
    /// never held the group has nothing to reconcile at that epoch; a holder steps down (address, stop scripts) and
    /// reconciles with the new holder before it keeps its copy again.
    func recoverySiteHeard(peer: String, group: GroupConfiguration, ownership: GroupOwnership) {
        let mine = runtime.ownership(group: group.name) ?? GroupOwnership.initial(of: group)
        guard ownership.supersedes(mine), ownership.owner != runtime.name else { return }
        let held = mine.owner == runtime.name
        do {
            if !held {
                // Marked before the ownership is: a follower that reads the new ownership finds nothing pending.
                for share in group.shares {
                    try runtime.database.markRejoinDone(share: "\(group.name)/\(share.name)", epoch: ownership.epoch)
                }
            }
            try runtime.database.saveOwnership(ownership, group: group.name, at: runtime.clock.wallTime())
        } catch {
            runtime.logger.critical("group \(group.name): cannot store \(ownership) heard from \(peer): \(error)")
        }
        runtime.setOwnership(ownership, group: group.name)
        runtime.logger.notice("group \(group.name): \(peer) says \(ownership); this node keeps the off-site copy")
        guard held, let actions = recoveryActions[group.name] else { return }
        spawn {
            let report = await actions.release(runStopScripts: true)
            self.tell(
                NotificationEvent(
                    kind: .stepDown, severity: .critical, node: self.runtime.name, group: group.name, topic: "epoch",
                    summary:
                        "\(self.runtime.name) stepped down from group \(group.name) at the recovery site: \(ownership.owner) holds \(ownership)",
                    detail: report.text
                        + "\nIts changes not yet on \(ownership.owner) go there as conflict copies when it reconciles.",
                    time: self.runtime.clock.wallSeconds()))
        }
    }

    /// At start, a recovery site that holds a group takes its address and starts its services again, once its
    /// peers had the dead time to tell it of a newer ownership.
    func resumeRecoverySite() async {
        let held = recoveryGroups.filter { runtime.owns(group: $0.name) }
        guard !held.isEmpty else { return }
        try? await Task.sleep(nanoseconds: UInt64(runtime.configuration.heartbeat.deadTime.seconds * 1e9))
        for group in held where runtime.owns(group: group.name) {
            guard let actions = recoveryActions[group.name] else { continue }
            var report = GroupActions.Report()
            await actions.bringUp(&report)
            self.report(group.name, report.lines)
            runtime.logger.notice(
                "group \(group.name): holds the service at the recovery site (\(report.lines.count) steps)")
        }
    }
}
