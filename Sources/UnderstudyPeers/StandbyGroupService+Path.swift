import Foundation
import NIOConcurrencyHelpers
import NIOCore
import UnderstudyCore
import UnderstudyRejoin
import UnderstudyTransport

/// The follower's choice of network path to the serving node (see `MirrorRoute`): watching the path in use, and
/// telling when the mirror moved.
extension StandbyGroupService {
    func linkViews(of peer: String) -> [String: MirrorRoute.LinkView] {
        links.linkViews(of: peer)
    }

    /// Four times a second while connected over `route.current`: when the route says to leave (its link went down) or
    /// to move back (a preferred link is up again), the reason is noted and the connection closed.
    func watchPath(
        _ route: MirrorRoute, of peer: String, leaving: NIOLockedValueBox<String?>, channel: any Channel
    ) async {
        guard route.paths.count > 1 else { return }
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            switch route.advice(links: linkViews(of: peer), now: node.now()) {
            case .stay:
                continue
            case .leave(let reason):
                leaving.withLockedValue { $0 = reason }
            case .moveBack(let better):
                leaving.withLockedValue { $0 = "\(better) is up again" }
            }
            channel.close(promise: nil)
            return
        }
    }

    /// Logs, records and notifies that the mirror runs over `path` now; nothing at a start over the preferred path.
    func reportPath(_ path: MirrorRoute.Path, previous: MirrorRoute.Path?, reason: String?, route: MirrorRoute) {
        let preferred = path == route.paths[0]
        node.status.update(group: group.name) { status in
            status.mirrorPath = path.description
            status.mirrorOnPreferredPath = preferred
        }
        guard route.paths.count > 1, previous != nil || !preferred else { return }
        let summary: String
        if let previous {
            summary =
                preferred
                ? "the mirror of group \(group.name) is back on \(path) (from \(previous))"
                : "the mirror of group \(group.name) moved from \(previous) to \(path)"
                    + (reason.map { ": \($0)" } ?? "")
        } else {
            summary =
                "the mirror of group \(group.name) runs over \(path): its preferred path, \(route.paths[0]), is not usable"
        }
        if preferred { node.logger.notice("\(summary)") } else { node.logger.warning("\(summary)") }
        node.event(preferred ? .info : .warning, .mirrorMoved, summary)
        node.notify(
            NotificationEvent(
                kind: .mirrorMoved, severity: preferred ? .info : .warning, node: node.name, group: group.name,
                topic: group.name,
                summary: summary,
                detail: preferred
                    ? ""
                    : "Nothing already mirrored is sent again: the mirror resumes from its last acknowledged change. It moves back to \(route.paths[0]) once that link has been up for \(Int(route.settle)) s.",
                time: node.clock.wallSeconds()))
    }

    static let roundsBeforeAnotherFeeder = 3
    static let preferredFeederBack = "the off-site copy's feeder"
    static let probeAnswered = "asked for its view of the group"

    /// The nodes this follower connects to, in order; it moves to the next after `roundsBeforeAnotherFeeder` rounds
    /// in which none of the current one's paths answered.
    /// - The off-site node: the standby that feeds it, then the primary; after it held the group itself (a
    ///   recovery-site takeover), the holder first, to reconcile with it.
    /// - The primary or standby: the holder by epoch; then the group's other members, only to ask them who holds
    ///   the group (the off-site node may have taken it over at the recovery site while both were down).
    func followCandidates() -> [String] {
        let holder = node.ownership(group: group.name)?.owner
        if let feeder {
            let feeders = [feeder] + (feeder == group.primary ? [] : [group.primary])
            if let holder, holder != node.name, group.members.contains(holder),
                (try? RejoinSession(node: node, group: group).pendingEpoch()) != nil
            {
                return [holder] + feeders.filter { $0 != holder }
            }
            return feeders
        }
        let target =
            holder.flatMap { $0 != node.name && group.members.contains($0) ? $0 : nil } ?? group.peer(of: node.name)
        return [target] + group.members.filter { $0 != target && $0 != node.name }
    }

    /// After the handshake with `peer`, which this node does not follow: waits up to 2 s for the ownership it told
    /// to be stored (a newer one restarts this follower towards its holder), then leaves the connection.
    func probed(_ peer: String, leaving: NIOLockedValueBox<String?>) async throws {
        for _ in 0..<40 where node.ownership(group: group.name)?.owner != peer {
            try await node.clock.sleep(seconds: 0.05)
        }
        let now = node.ownership(group: group.name).map { "\($0)" } ?? "unknown"
        leaving.withLockedValue { $0 = "\(Self.probeAnswered): \(peer) says the group is at \(now)" }
        throw CancellationError()
    }

    /// The mirror route to `peer` (its address and the links both nodes have), or nil for a node not configured.
    func mirrorRoute(to peer: String) -> MirrorRoute? {
        guard let settings = node.configuration.nodes[peer] else { return nil }
        return MirrorRoute(
            paths: MirrorRoute.paths(from: node.identity.settings, to: settings),
            settle: max(2, 2 * node.configuration.heartbeat.deadTime.seconds))
    }

    /// On the off-site node following the primary because the standby could not be reached: every 30 s, whether the
    /// standby answers again (an authenticated connection); then this connection is left, to follow it.
    func watchPreferredFeeder(_ preferred: String, leaving: NIOLockedValueBox<String?>, channel: any Channel) async {
        guard let route = mirrorRoute(to: preferred) else { return }
        while !Task.isCancelled {
            try? await node.clock.sleep(seconds: 30)
            if Task.isCancelled { return }
            for path in route.paths {
                guard
                    let probe = try? await PeerTransport.connect(
                        host: path.host, port: path.port, tls: tls, allowedNodes: [preferred],
                        cluster: node.configuration.cluster, logger: node.logger, localNode: node.name)
                else { continue }
                let answered = (try? await probe.peerNode.get()) != nil
                try? await probe.channel.executeThenClose { _, _ in }
                if answered {
                    leaving.withLockedValue { $0 = "\(Self.preferredFeederBack), \(preferred), answers again" }
                    channel.close(promise: nil)
                    return
                }
            }
        }
    }
}
