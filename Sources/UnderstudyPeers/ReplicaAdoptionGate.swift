import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyReplication

/// Whether this node may mirror into a share's replica yet: a directory that holds files understudy did not put
/// there is refused until `understudy adopt` says what to do with them (see `ReplicaAdoption`).
enum ReplicaAdoptionGate {
    /// Why not, or nil; the refusal is logged and recorded once, and the share's status says it.
    static func refusal(
        _ context: ShareContext, node: any FollowingNode, recordFailure: (String) -> Void
    ) -> String? {
        guard !context.replicaAdopted.withLockedValue({ $0 }) else { return nil }
        let identity = ReplicaAdoption.Identity(
            cluster: node.configuration.cluster, share: context.key, node: node.name)
        do {
            let verdict = try ReplicaAdoption.check(context.localPath, identity: identity) {
                (try? context.database.fileIndexPaths(share: context.key, limit: 20)) ?? []
            }
            switch verdict {
            case .adopted:
                break
            case .adoptedNow(let reason):
                node.logger.info(
                    "replica \(context.localPath) of \(context.key) marked as mirrored by this node (\(reason))")
            case .refused(let entries, let sample):
                let text =
                    "replica \(context.localPath) of \(context.key) already holds \(entries) entries (\(sample.joined(separator: ", "))\(entries > sample.count ? ", …" : "")) that understudy did not put there, and the first sync would delete what the source lacks; nothing is synced into it until you run on \(node.name): understudy adopt \(context.key) --keep (mirror over it) or --move-aside (keep them in a sibling directory)"
                // Retried at every sync (an `adopt` may come any time); told once.
                if context.pathWarnings.isNew("adoption") {
                    node.logger.error("\(text)")
                    node.event(.error, .replicaNotAdopted, text, share: context.key)
                }
                node.status.update(group: context.groupName, share: context.shareName) { status in
                    status.state = .error
                    status.lastError = text
                }
                return text
            }
            context.replicaAdopted.withLockedValue { $0 = true }
            return nil
        } catch {
            let text = "cannot prepare replica \(context.localPath) of \(context.key): \(error)"
            recordFailure(text)
            return text
        }
    }
}
