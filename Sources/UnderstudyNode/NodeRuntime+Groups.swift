import UnderstudyCore
import UnderstudyReplication
import UnderstudyTransport

/// Groups a reload adds to or removes from a running node (one it is primary or standby of, with no off-site node:
/// `ConfigurationChanges.takesInPlace`): their shares, status and holder join or leave the node's tables. The parts
/// that follow, serve and watch them start and stop beside (`ReloadTargets`).
extension NodeRuntime {
    /// Makes `group` one of the node's groups (the nodes it names are known already): its shares get their contexts
    /// and status (as the last run of the group left them, if one did), and its holder is the one the state database
    /// knows, or its primary. Returns the shares.
    func addGroup(_ group: GroupConfiguration) throws -> [ShareContext] {
        let isPrimary = group.primary == name
        let throttle = BandwidthThrottle(limit: group.bandwidth, now: { [clock] in clock.monotonicSeconds() })
        var contexts: [ShareContext] = []
        var statuses: [ShareStatus] = []
        for share in group.shares {
            var (context, shareStatus) = try Self.memberShare(
                share, of: group, node: identity.settings, isPrimary: isPrimary, database: database, status: status,
                logger: logger, clock: clock)
            context.throttle = throttle
            context.fileSystemSync = fileSystemSync
            contexts.append(context)
            statuses.append(shareStatus)
        }
        let ownership = try database.loadOwnership(group: group.name) ?? GroupOwnership.initial(of: group)
        changeConfiguration { $0.groups[group.name] = group }
        status.add(
            GroupStatus(
                name: group.name, role: isPrimary ? .primary : .standby,
                peer: isPrimary ? group.standby : group.primary, peerConnected: false, shares: statuses))
        shares.replace(group: group.name, with: contexts)
        setOwnership(ownership, group: group.name)
        return contexts
    }

    /// `name` is no longer one of the node's groups: its shares leave the table with their change capture stopped and
    /// their index saved, and the group leaves the status. Its trees stay as they are. The nodes the reload removed
    /// go with the configuration the reload hands over at its end. Returns the shares that left.
    func removeGroup(_ name: String) -> [ShareContext] {
        let left = shares.replace(group: name, with: [])
        for context in left {
            context.stopCapture()
            context.index.waitUntilPersisted()
        }
        status.remove(group: name)
        ownerships.remove(group: name)
        changeConfiguration { $0.groups[name] = nil }
        return left
    }
}
