import Foundation
import UnderstudyCore
import UnderstudyReplication

/// The off-site node's part in failover, performing what each group's `RecoverySiteMachine` decides:
/// `understudy failover GROUP` there takes the group over at the recovery site (manual only, with the recovery
/// site's address, interface and scripts); a newer ownership heard from the group's other nodes steps it down again;
/// a holder that restarts takes its address back after the dead time, unless it heard something newer.
///
/// The rule that at most one node serves a group holds across the three nodes by epoch: the takeover stores the
/// highest epoch this node knows plus one, every handshake between two members of a group tells both sides who holds
/// it, and a node that hears a newer ownership steps down at once.
extension FailoverService {
    /// `understudy failover GROUP` on the group's off-site node.
    func recoveryTakeover(_ group: GroupConfiguration, force: Bool) -> Result<String, FailoverRefusal> {
        let status = runtime.status.snapshot(now: runtime.now()).first { $0.name == group.name }
        let feeder = status.flatMap { $0.peerConnected ? $0.peer : nil }
        let ready = status.map { $0.shares.allSatisfy { $0.lastSyncAt != nil } } ?? false
        let now = runtime.now()
        let outcome = state.withLockedValue { state -> Result<[FailoverAction], RecoverySiteMachine.Refusal>? in
            guard var machine = state.recoveryMachines[group.name] else { return nil }
            let outcome = machine.manualFailover(at: now, feeder: feeder, replicaReady: ready, force: force)
            state.recoveryMachines[group.name] = machine
            return outcome
        }
        switch outcome {
        case .success(let actions)?:
            runtime.logger.notice(
                "group \(group.name): takeover at the recovery site asked for by the administrator\(force ? " (forced)" : "")"
            )
            enqueue(group.name, actions)
            return .success(
                "taking over group \(group.name) at the recovery site; `understudy status` shows its progress, the log each step"
            )
        case .failure(let refusal)?:
            return .failure(
                FailoverRefusal(errorCode: refusal.errorCode, message: "no takeover of group \(group.name): \(refusal)")
            )
        case nil:
            return .failure(
                FailoverRefusal(errorCode: "busy", message: "no takeover of group \(group.name): failover is starting"))
        }
    }

    /// A member of `group` told its view in a handshake.
    func recoverySiteHeard(peer: String, group: GroupConfiguration, ownership: GroupOwnership) {
        let produced = feedRecoverySite(group.name) { $0.ownershipHeard(ownership, at: runtime.now()) }
        if !produced.isEmpty {
            runtime.logger.notice("group \(group.name): \(peer) says \(ownership)")
        }
    }

    func tickRecoverySite(at now: Double) {
        for group in recoveryGroups {
            feedRecoverySite(group.name) { $0.tick(at: now) }
        }
    }

    /// Feeds an event to the group's machine; its actions join the group's queue, and are returned.
    @discardableResult
    func feedRecoverySite(
        _ group: String, _ event: (inout RecoverySiteMachine) -> [FailoverAction]
    ) -> [FailoverAction] {
        feed(group, in: \.recoveryMachines, event)
    }

    /// Performs one group's actions at the recovery site in order; outcomes go back into its machine.
    func performAtRecoverySite(_ stream: AsyncStream<FailoverAction>, actions: GroupActions) async {
        let group = actions.group
        for await action in stream {
            if await performShared(
                action, actions: actions, machines: \.recoveryMachines, site: " at the recovery site",
                kind: "recovery-site")
            {
                continue
            }
            switch action {
            case .recordOwnership(let ownership):
                record(ownership, group: group)
            case .notify, .fence, .takeOver, .acquire, .release, .stopServices, .drain, .handOver, .handOverEnded:
                break  // performed above, or not asked of the recovery site
            }
        }
    }

    /// Stores a newer ownership heard from another member. A node that never held the group has nothing of its own
    /// to reconcile at that epoch (marked first: a follower that reads the new ownership finds nothing pending); one
    /// that held it reconciles with the new holder before it keeps its copy again.
    private func record(_ ownership: GroupOwnership, group: GroupConfiguration) {
        if runtime.ownership(group: group.name)?.owner != runtime.name {
            do {
                for share in group.shares {
                    try runtime.database.markRejoinDone(share: "\(group.name)/\(share.name)", epoch: ownership.epoch)
                }
            } catch {
                runtime.logger.error(
                    "group \(group.name): cannot mark its copy reconciled at \(ownership): \(error); it reconciles with the holder instead"
                )
            }
        }
        storeOwnership(ownership, group: group.name, follows: "keeps the off-site copy")
    }
}
