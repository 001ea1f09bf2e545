import UnderstudyCore
import UnderstudyReplication
import UnderstudySession
import UnderstudySupport
import UnderstudyTransport
import UnderstudyWire

/// The rejoining node's half: before a node whose tree was the live data follows the node that holds the group
/// now, each share is reconciled once per epoch. Its own versions that the serving node never had are renamed to
/// conflict copies here and pushed into the serving tree; only then does the ordinary follow make this tree equal
/// to the serving one, which can then overwrite or delete only what did not change here.
///
/// Every step can be repeated: a crash leaves renamed copies (found again by name and pushed), a copy pushed
/// twice is taken once, and the share is marked done only after all its copies are durable there.
package struct RejoinSession {
    let node: any RejoinNode
    let group: GroupConfiguration

    /// The epoch to reconcile with, nil when nothing is to be done: no takeover ever happened, or every share is
    /// reconciled with the current epoch already.
    package func pendingEpoch() throws -> UInt64? {
        guard let ownership = node.ownership(group: group.name), ownership.epoch > 0, ownership.owner != node.name
        else { return nil }
        for share in group.shares
        where (try node.database.rejoinDone(share: "\(group.name)/\(share.name)") ?? 0) < ownership.epoch {
            return ownership.epoch
        }
        return nil
    }

    package func run(inbox: PeerInbox, writer: FrameWriter) async throws {
        guard let epoch = try pendingEpoch() else { return }
        let logger = node.logger
        let holder = node.ownership(group: group.name)?.owner ?? group.peer(of: node.name)
        logger.notice(
            "group \(group.name): rejoining as the follower of \(holder) at epoch \(epoch): reconciling this node's tree first"
        )
        node.event(
            .warning, .rejoinStarted,
            "group \(group.name): reconciling with \(holder) at epoch \(epoch)")
        var total = RejoinMachine.Outcome()
        for share in group.shares {
            guard let context = node.shares[group: group.name, share: share.name] else { continue }
            if (try node.database.rejoinDone(share: context.key) ?? 0) >= epoch { continue }
            let outcome = try await reconcile(context, epoch: epoch, inbox: inbox, writer: writer)
            try node.database.markRejoinDone(share: context.key, epoch: epoch)
            logger.notice(
                "rejoin of \(context.key): \(outcome.conflicts) conflicts kept on both nodes (\(outcome.pushed) copies pushed), \(outcome.copies) files to copy back, \(outcome.deletions) to delete, \(outcome.restored) deleted here but kept there"
            )
            total.conflicts += outcome.conflicts
            total.copies += outcome.copies
            total.deletions += outcome.deletions
        }
        node.event(
            total.conflicts > 0 ? .warning : .info, .rejoinFinished,
            "group \(group.name): reconciled at epoch \(epoch): \(total.conflicts) conflicts, \(total.copies) files to copy back, \(total.deletions) deletions"
        )
    }

    /// Performs `RejoinMachine`'s actions for one share, through `RejoinStepRunner` on the share's tree: the trees
    /// come in, this node's versions the serving node never had become conflict copies here, and each is pushed there.
    private func reconcile(
        _ context: ShareContext, epoch: UInt64, inbox: PeerInbox, writer: FrameWriter
    ) async throws -> RejoinMachine.Outcome {
        var machine = try RejoinMachine(group: group.name, share: context.shareName, epoch: epoch, node: node.name)
        let runner = RejoinStepRunner(
            files: RejoinShareFiles(node: node, context: context), host: RejoinLog(node: node, context: context))
        var queue = machine.start()[...]
        while true {
            while let action = queue.popFirst() {
                if case .finished(let outcome) = action { return outcome }
                let next = try await runner.perform(action, machine: &machine) { try await writer.emit($0) }
                if !next.isEmpty { queue = next[...] + queue }
            }
            guard let message = try await inbox.next() else { throw PeerSessionError.closed(machine.stage) }
            queue = try machine.receive(message)[...]
        }
    }

    package init(node: any RejoinNode, group: GroupConfiguration) {
        self.node = node
        self.group = group
    }
}
