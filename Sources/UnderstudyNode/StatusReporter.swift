import Foundation
import Logging
import ServiceLifecycle
import UnderstudyCore
import UnderstudyReplication
import UnderstudySupport

/// Writes each share's live-mirror figures into the log once a minute while anything happens, so the log alone
/// tells how far behind the replica was and when; and tells (`replication-stalled`, `replication-resumed`) when a
/// group's replication has been stuck for `stalledAfter`: a standby cut off from its primary, or changes waiting
/// that long on either side.
struct StatusReporter: Service, Sendable {
    /// This node's name, for the notifications.
    let node: String
    let status: StatusRegistry
    let clock: any EngineClock
    let logger: Logger
    var interval: Double = 60
    var notify: @Sendable (NotificationEvent) -> Void = { _ in }
    var stalledAfter: Double = 60
    /// How much older than `stalledAfter` a group's replica may be at rest: an agentless group's is up to one scan
    /// interval old between its scans (0 for the others, whose changes travel as they happen).
    var restingAge: @Sendable (String) -> Double = { _ in 0 }
    var checkEvery: Double = 5

    func run() async {
        await cancelWhenGracefulShutdown { await report() }
    }

    private func report() async {
        var last: [String: (Int64, Int64)] = [:]
        var watch = ReplicationStallWatch(threshold: stalledAfter)
        var nextFigures = clock.monotonicSeconds() + interval
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(min(checkEvery, interval)))
            if Task.isCancelled { return }
            let snapshot = status.snapshot(now: clock.monotonicSeconds())
            for group in snapshot { watchStall(group, &watch) }
            guard clock.monotonicSeconds() >= nextFigures else { continue }
            nextFigures += interval
            for group in snapshot {
                for share in group.shares {
                    let key = "\(group.name)/\(share.name)"
                    let syncs = (share.liveSyncs, share.fullSyncs)
                    defer { last[key] = syncs }
                    guard share.changesPending > 0 || last[key].map({ $0 != syncs }) ?? (syncs != (0, 0)) else {
                        continue
                    }
                    let moved = group.role == .primary ? "sent" : "received"
                    var line =
                        "live mirror \(key) (\(group.role)): \(share.changesPending) changes pending, lag \(Self.milliseconds(share.lagSeconds)), \(ByteCount.format(Int64(share.throughputBytesPerSecond)))/s \(moved) over the last minute, \(share.liveSyncs) live syncs and \(share.fullSyncs) full comparisons since start"
                    if let problem = share.captureProblem { line += "; capture incomplete: \(problem)" }
                    logger.info("\(line)")
                }
            }
        }
    }

    private func watchStall(_ group: GroupStatus, _ watch: inout ReplicationStallWatch) {
        guard group.role == .primary || group.role == .standby else { return }
        let connected = group.role == .primary || group.peerConnected
        let worst = group.shares.map(\.lagSeconds).max() ?? 0
        let healthy = connected && worst < stalledAfter + restingAge(group.name)
        switch watch.observe(group: group.name, healthy: healthy, at: clock.monotonicSeconds()) {
        case .stalled(let seconds)?:
            let why =
                connected
                ? "changes have waited \(Int(worst)) s to reach the replica"
                : "this standby has not been connected to \(group.peer) for \(Int(seconds)) s"
            notify(
                NotificationEvent(
                    kind: .replicationStalled, severity: .warning, node: node, group: group.name,
                    topic: group.name,
                    summary: "replication of group \(group.name) is stalled on \(node): \(why)",
                    detail: group.shares.map {
                        "\($0.name): \($0.state.rawValue), \($0.changesPending) changes pending, lag \(Self.milliseconds($0.lagSeconds))"
                            + ($0.lastError.map { ", last error: \($0)" } ?? "")
                    }.joined(separator: "\n"),
                    time: clock.wallSeconds()))
        case .resumed(let seconds)?:
            notify(
                NotificationEvent(
                    kind: .replicationResumed, severity: .info, node: node, group: group.name, topic: group.name,
                    summary: "replication of group \(group.name) runs again on \(node) after \(Int(seconds)) s",
                    detail: "", time: clock.wallSeconds()))
        case nil:
            break
        }
    }

    static func milliseconds(_ seconds: Double) -> String {
        seconds < 10 ? "\(Int((seconds * 1000).rounded())) ms" : "\(Int(seconds.rounded())) s"
    }
}
