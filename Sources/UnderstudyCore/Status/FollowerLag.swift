import struct Foundation.Date

/// How far a follower's replica is behind when nothing is on its way: the lag rests on what the follower hears, not
/// on its last transfer. A replica that the serving node has announced no change to is current as of the last time
/// it heard that node (a heartbeat on any link), so at rest its lag stays below one heartbeat interval; while the
/// node is silent, or the mirror connection is down, it grows with the silence. A change announced and not yet
/// applied keeps its own age when that is larger.
public enum FollowerLag {
    /// `groups` with each follower share's `lagSeconds` so judged; the serving node's figures are left as they are
    /// (its lag is the age of the oldest change its capture has not seen applied).
    /// - Parameters:
    ///   - links: the links' liveness (nil: no failover, so no heartbeats: a connected mirror is taken as current).
    ///   - startedAt: when the daemon started: before the first connection, a replica never synced is that old.
    public static func apply(
        to groups: [GroupStatus], links: [LinkStatus]?, startedAt: Date, now: Date
    )
        -> [GroupStatus]
    {
        groups.map { group in
            guard group.role != .primary else { return group }
            var group = group
            let heardAgo = links.flatMap { links in
                links.filter { $0.peer == group.peer }.compactMap(\.lastHeardAgo).min()
            }
            for index in group.shares.indices {
                let share = group.shares[index]
                let rest: Double
                if group.peerConnected {
                    // Connected with heartbeats configured but none heard yet: current as of the connection's sync.
                    rest = links == nil ? 0 : (heardAgo ?? share.lastSyncAt.map { now.timeIntervalSince($0) } ?? 0)
                } else {
                    let since = group.disconnectedAt ?? share.lastSyncAt ?? startedAt
                    rest = now.timeIntervalSince(since)
                }
                group.shares[index].lagSeconds = max(share.lagSeconds, rest, 0)
            }
            return group
        }
    }
}
