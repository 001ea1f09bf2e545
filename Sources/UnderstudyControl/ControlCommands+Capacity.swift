import UnderstudyCore
import UnderstudyFileSystem

extension ControlCommands {
    /// The capacity rule on this node's replicas: each file system that holds replicas of groups this node follows,
    /// with what they hold now and what the syncs under way still have to write. Costs a `statvfs` per replica.
    func capacityWarnings(_ groups: [GroupStatus]) -> [String] {
        var uses: [UInt64: ReplicaCapacity.FileSystemUse] = [:]
        var order: [UInt64] = []
        for group in groups where !node.owns(group: group.name) {
            for share in group.shares {
                guard let context = node.shares[group: group.name, share: share.name],
                    let space = try? FileSystemSpace.of(context.localPath)
                else { continue }
                if uses[space.fileSystemID] == nil {
                    order.append(space.fileSystemID)
                    uses[space.fileSystemID] = ReplicaCapacity.FileSystemUse(
                        replicas: [], totalBytes: space.totalBytes, availableBytes: space.availableBytes,
                        usedByReplicas: 0, pendingBytes: 0)
                }
                uses[space.fileSystemID]?.replicas.append("\(context.key) (\(context.localPath))")
                uses[space.fileSystemID]?.usedByReplicas += context.index.totalBytes
                uses[space.fileSystemID]?.pendingBytes += share.bytesPending
            }
        }
        return ReplicaCapacity.warnings(order.compactMap { uses[$0] })
    }
}
