import Foundation
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyReplication
import UnderstudySupport

/// The temporaries a crashed run was writing in a group's trees.
enum CrashLeftovers {
    /// The last run crashed: the temporaries it was writing in this group's trees are removed before the first sync,
    /// under each share's replica gate, so they do not sit in the replica until a full comparison.
    static func remove(group: GroupConfiguration, node: any FollowingNode) async {
        let contexts = group.shares.compactMap { node.shares[group: group.name, share: $0.name] }
        for context in contexts where node.shares.crashLeftovers.withLockedValue({ $0.remove(context.key) }) != nil {
            let tree = context.localPath
            let started = node.now()
            let outcome = await context.replicaGate.withExclusiveAccess {
                (try? await onThread { TemporarySweeper.sweep(tree) }) ?? TemporarySweeper.Outcome()
            }
            if outcome.removed > 0 || !outcome.failures.isEmpty {
                let seconds = String(format: "%.2f", node.now() - started)
                node.logger.notice(
                    "removed \(outcome.removed) temporaries a crash left in \(tree) (\(outcome.directories) directories walked in \(seconds) s)"
                )
                node.event(
                    .info, .temporariesRemoved, "\(outcome.removed) temporaries a crash left in \(tree)",
                    share: context.key)
            }
            for failure in outcome.failures.prefix(5) {
                node.logger.warning("could not remove a temporary a crash left: \(failure)")
            }
        }
    }
}
