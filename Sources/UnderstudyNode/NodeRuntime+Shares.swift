import Logging
import UnderstudyChangeCapture
import UnderstudyCore
import UnderstudyReplication
import UnderstudyState
import UnderstudySupport
import UnderstudyTransport

/// The shares of the groups this node is primary or standby of: made at the start, and again for a group whose shares
/// a reload added, removed or changed.
extension NodeRuntime {
    /// One share of `group` as this node keeps it (its source on the configured primary, its replica on the standby),
    /// with its status as the last run left it. The caller adds what the group's shares share (throttle, syncfs).
    static func memberShare(
        _ share: ShareConfiguration, of group: GroupConfiguration, node: NodeConfiguration, isPrimary: Bool,
        database: StateDatabase, status: StatusRegistry, logger: Logger, clock: any EngineClock
    ) throws -> (ShareContext, ShareStatus) {
        let key = "\(group.name)/\(share.name)"
        var shareStatus = ShareStatus(
            name: share.name, path: isPrimary ? share.source : share.replica, state: .disconnected)
        if let saved = try database.loadSyncStatus(share: key) {
            shareStatus.lastSyncAt = saved.lastSyncAt
            shareStatus.bytesSent = saved.bytesSent
            shareStatus.bytesReceived = saved.bytesReceived
            shareStatus.lastError = saved.lastError
        }
        if shareStatus.lastSyncAt == nil && !isPrimary { shareStatus.state = .initialSync }
        var context = ShareContext(
            group: group, share: share, localPath: isPrimary ? share.source : share.replica,
            index: try ShareIndex(key: key, database: database, logger: logger, clock: clock), status: status,
            database: database, logger: logger, clock: clock)
        if group.live {
            context.captureConfiguration = ChangeAggregator.Configuration(
                quietDelay: group.quietDelay.seconds, maxDelay: group.maxDelay.seconds)
            context.captureMethod = node.changeCapture
        }
        return (context, shareStatus)
    }

    /// Takes `group`'s reloaded shares (a group this node is primary or standby of, with no off-site node, every other
    /// change of it one taken in place): a share added gets its context and status, a share removed leaves the table
    /// with its change capture stopped and its index saved. Returns the shares that left and those that came; the
    /// caller restarts the group's mirror with them.
    func replaceShares(of group: GroupConfiguration) throws -> (left: [ShareContext], came: [ShareContext]) {
        let isPrimary = group.primary == name
        let existing = shares.of(group: group.name)
        var kept: [ShareContext] = []
        var came: [ShareContext] = []
        var added: [ShareStatus] = []
        for share in group.shares {
            // A share of the same name is the same share: one whose paths changed is not taken in place.
            if let context = existing.first(where: { $0.shareName == share.name }) {
                kept.append(context)
                continue
            }
            var (context, shareStatus) = try Self.memberShare(
                share, of: group, node: identity.settings, isPrimary: isPrimary, database: database, status: status,
                logger: logger, clock: clock)
            // The group's shares share its limit and the node's syncfs.
            context.throttle =
                existing.first?.throttle
                ?? BandwidthThrottle(limit: group.bandwidth, now: { [clock] in clock.monotonicSeconds() })
            context.fileSystemSync = fileSystemSync
            came.append(context)
            added.append(shareStatus)
        }
        let left = shares.replace(group: group.name, with: kept + came)
        for context in left {
            context.stopCapture()
            context.index.waitUntilPersisted()
        }
        // In the group's order; the kept shares' figures as they are at this moment.
        let order = group.shares.map(\.name)
        status.update(group: group.name) { status in
            let kept = status.shares.filter { order.contains($0.name) }
            status.shares = (kept + added).sorted {
                (order.firstIndex(of: $0.name) ?? 0) < (order.firstIndex(of: $1.name) ?? 0)
            }
        }
        return (left, came)
    }
}
