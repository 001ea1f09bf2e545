import Foundation
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyReplication

/// `understudy adopt GROUP/SHARE --keep|--move-aside`: what the standby does with a replica directory that held files
/// before it ever mirrored into it (see `ReplicaAdoption`).
extension ControlCommands {
    func handleAdopt(share path: String, mode: AdoptMode) async -> ControlResponse {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        // As the node runs them now: a reload may have added the share.
        guard parts.count == 2, let group = node.currentGroup(parts[0]),
            let share = group.shares.first(where: { $0.name == parts[1] })
        else {
            let known = node.configuration.groups.keys.compactMap { node.currentGroup($0) }.flatMap { group in
                group.shares.map { "\(group.name)/\($0.name)" }
            }.sorted()
            return ControlResponse.refused(
                "adopt needs GROUP/SHARE, one of: \(known.joined(separator: ", "))", code: "unknown-share")
        }
        let key = "\(group.name)/\(share.name)"
        guard group.standby == node.name,
            let context = node.shares[group: group.name, share: share.name]
        else {
            return ControlResponse.refused(
                "the replica of \(key) is on its standby, \(group.standby): run `understudy adopt \(key)` there",
                code: "not-the-standby")
        }
        guard !node.owns(group: group.name) else {
            return ControlResponse.refused(
                "\(node.name) serves group \(group.name) now: \(context.localPath) is the live data, not a replica to adopt",
                code: "serving-now")
        }
        let identity = ReplicaAdoption.Identity(cluster: node.configuration.cluster, share: key, node: node.name)
        if ReplicaAdoption.marker(context.localPath)?.matches(identity) == true {
            return ControlResponse.done("\(context.localPath) is already the replica of \(key); nothing to do")
        }
        let now = node.clock.wallSeconds()
        let outcome: Result<String, Error> = await context.replicaGate.withExclusiveAccess {
            do {
                if mode == .keep {
                    try ReplicaAdoption.adoptKeeping(context.localPath, identity: identity)
                    return .success(
                        "\(context.localPath) is now the replica of \(key), with what it held: the next sync makes it equal to the source (files the source lacks are deleted\(share.history != nil ? ", and kept in the history" : ""))"
                    )
                }
                let aside = try ReplicaAdoption.adoptMovingAside(context.localPath, identity: identity, at: now)
                return .success("what \(context.localPath) held is in \(aside) now; the replica of \(key) starts empty")
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .failure(let error):
            return ControlResponse.refused(
                "could not adopt \(context.localPath) for \(key): \(error); nothing was changed",
                code: (error as? any CodedError)?.errorCode ?? "failed")
        case .success(let message):
            context.replicaAdopted.withLockedValue { $0 = true }
            node.logger.notice("adopt: \(message)")
            node.event(.info, .replicaAdopted, message, share: key)
            // The share waited for this: sync it now, and report how that went.
            let results = await syncRequests[group.name]?.request() ?? []
            return .synced(results, message: message)
        }
    }
}
