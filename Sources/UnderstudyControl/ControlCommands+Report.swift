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

extension ControlCommands {
    /// Each group this node feeds an off-site copy of gets that hop: the figures of the syncs served to it, and what
    /// its relay journal holds (changes waiting, their age, the bytes behind).
    func withOffsiteHops(_ groups: [GroupStatus], now: Double) -> [GroupStatus] {
        groups.map { group in
            let contexts = node.shares.of(group: group.name).filter { $0.relay != nil }
            guard let offsite = contexts.first?.group.offsite,
                let hop = contexts.first?.hopStatus?.snapshot(now: node.now()).first(where: { $0.name == group.name })
            else { return group }
            var group = group
            var shares = hop.shares
            for index in shares.indices {
                guard let context = contexts.first(where: { $0.shareName == shares[index].name }),
                    let relay = context.relay
                else { continue }
                let waiting = relay.waiting()
                shares[index].changesPending = Int64(waiting.paths.count)
                shares[index].lagSeconds = waiting.oldestAt.map { max(0, now - $0) } ?? 0
                shares[index].bytesBehind = context.index.bytes(of: waiting.paths)
            }
            group.offsiteHop = OffsiteHopStatus(node: offsite, connected: hop.peerConnected, shares: shares)
            return group
        }
    }
}
