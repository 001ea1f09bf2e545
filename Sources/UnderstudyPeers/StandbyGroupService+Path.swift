import Foundation
import NIOConcurrencyHelpers
import NIOCore
import UnderstudyCore
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
