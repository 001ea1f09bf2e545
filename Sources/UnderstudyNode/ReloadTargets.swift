import Logging
import NIOConcurrencyHelpers
import UnderstudyArchive
import UnderstudyCore
import UnderstudyFailover
import UnderstudyNotify
import UnderstudyPeers
import UnderstudyReplication
import UnderstudySupport

/// The parts of a running daemon that a reload reaches once they run: the roles that follow and serve the groups.
final class RunningParts: Sendable {
    private let roles = NIOLockedValueBox<GroupRoles?>(nil)

    func set(_ roles: GroupRoles) { self.roles.withLockedValue { $0 = roles } }
    var groupRoles: GroupRoles? { roles.withLockedValue { $0 } }
}

/// Applies what a reload changed that the running node takes in place (`ConfigurationChanges`): the notification
/// channels, and each group's parts (`GroupChange`): its shares, bandwidth limits, checks, archive schedules,
/// patterns and intervals. Each is logged.
struct ReloadTargets: Sendable {
    let runtime: NodeRuntime
    let notifications: NotificationRouter
    let failover: FailoverService
    let archives: ArchiveService?
    let running: RunningParts

    func apply(_ changes: ConfigurationChanges, from loaded: ClusterConfiguration) {
        if changes.notifications { applyNotifications(loaded.notify) }
        for change in changes.groups {
            guard let group = loaded.groups[change.group] else { continue }
            // Shares first: a share kept is told apart from one changed by the configuration it still holds.
            if change.parts.contains(.shares) { applyShares(of: group, change) }
            // Every part reads the group's settings from its shares' contexts: set once, seen by each.
            runtime.applySettings(of: group, patternsOf: change.shares)
            if change.parts.contains(.bandwidth) {
                runtime.applyBandwidth(group: group.name, bandwidth: group.bandwidth, offsite: group.offsiteBandwidth)
                runtime.logger.notice(
                    "group \(group.name) sends at \(Self.rate(group.bandwidth)) from now on\(group.bandwidth.schedule.isEmpty ? "" : ", with \(group.bandwidth.schedule.count) scheduled windows")"
                )
            }
            if change.parts.contains(.checks) { failover.applyChecks(of: group) }
            if !change.parts.isDisjoint(with: [.archives, .shares]) {
                archives?.groupChanged(group: group.name, schedules: change.parts.contains(.archives))
            }
            for name in change.names where !name.hasPrefix("the bandwidth") {
                runtime.logger.notice("\(name): the running node takes the new configuration from now on")
            }
        }
    }

    /// The group's shares as the reloaded file has them: those that left stop, those that came start, and the
    /// group's mirror restarts with them (a follower reconnects; the node that serves captures the new ones).
    private func applyShares(of group: GroupConfiguration, _ change: GroupChange) {
        let taken: (left: [ShareContext], came: [ShareContext])
        do {
            taken = try runtime.replaceShares(of: group)
        } catch {
            runtime.logger.error(
                "group \(group.name): could not take its new shares (\(error)); they take effect when the daemon restarts"
            )
            return
        }
        for context in taken.left {
            runtime.logger.notice(
                "\(context.key) is no longer mirrored by this node: its tree \(context.localPath) stays as it is")
        }
        for context in taken.came {
            runtime.logger.notice("\(context.key) is mirrored from now on (\(context.localPath))")
        }
        guard let roles = running.groupRoles else { return }
        let came = taken.came
        Task { await roles.sharesChanged(group, came: came) }
    }

    /// Replaces the notification channels with those of `configuration` (a reload that changed `[notify]`): events
    /// from now on go to them; what the old ones still hold is delivered. Returns when the new ones take events.
    func applyNotifications(_ configuration: NotificationConfiguration) {
        notifications.replace(
            with: NodeDaemon.notificationService(
                configuration, node: runtime.name, logger: runtime.logger,
                stateDirectory: runtime.identity.settings.stateDirectory, clock: runtime.clock))
        let channels = notifications.service.channels.map(\.name)
        runtime.logger.notice(
            "notifications now go to: \(channels.isEmpty ? "no channel" : channels.joined(separator: ", "))")
    }

    /// A limit's base rate for the log: "5.0 MiB/s", or "no limit".
    static func rate(_ limit: BandwidthLimit) -> String {
        limit.bytesPerSecond.map { "\(ByteCount.format($0))/s" } ?? "no limit"
    }
}
