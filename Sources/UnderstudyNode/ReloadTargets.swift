import Logging
import NIOConcurrencyHelpers
import UnderstudyArchive
import UnderstudyCore
import UnderstudyFailover
import UnderstudyNotify
import UnderstudyPeers
import UnderstudyReplication
import UnderstudySupport

/// The parts of a running daemon that a reload reaches once they run: the roles that follow and serve the groups,
/// the change capture, and each group's sync requests. A group whose shares a reload changes before they run (a
/// SIGHUP during the start) is remembered and handed to them when they do.
final class RunningParts: Sendable {
    struct Parts: Sendable {
        var roles: GroupRoles
        var captures: CaptureService
        var requests: SyncRequestTable
    }

    private let state = NIOLockedValueBox<(parts: Parts?, waiting: [String: [ShareContext]])>((nil, [:]))
    /// Where what a reload sets going runs (the daemon runs it among its parts).
    let work = ReloadWork()

    var parts: Parts? { state.withLockedValue { $0.parts } }

    /// The parts run from now on: the share changes that came before are handed to them.
    func set(_ parts: Parts) {
        let waiting = state.withLockedValue { state -> [String: [ShareContext]] in
            state.parts = parts
            defer { state.waiting = [:] }
            return state.waiting
        }
        for (group, came) in waiting.sorted(by: { $0.key < $1.key }) {
            work.add { await parts.roles.sharesChanged(group, came: came) }
        }
    }

    /// Has `group`'s mirror restart with its new shares: now if the parts run, else when they start.
    func sharesChanged(_ group: String, came: [ShareContext]) {
        let parts = state.withLockedValue { state -> Parts? in
            if state.parts == nil { state.waiting[group, default: []] += came }
            return state.parts
        }
        guard let parts else { return }
        work.add { await parts.roles.sharesChanged(group, came: came) }
    }
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
    /// The node listens for peers (it had a group when its daemon started): a group it serves needs it.
    let listens: Bool

    /// Returns the groups whose change could not be taken, with why: they wait for the restart.
    func apply(_ changes: ConfigurationChanges, from loaded: ClusterConfiguration) -> [String: String] {
        if changes.notifications { applyNotifications(loaded.notify) }
        var failed = applyGroups(changes, from: loaded)
        for change in changes.groups {
            guard let group = loaded.groups[change.group] else { continue }
            let member = group.members.contains(runtime.name)
            // Every part reads the group's settings from its shares' contexts: set once, seen by each. Before the
            // shares change: the group's mirror restarts with the configuration its kept shares hold.
            let before = runtime.currentGroup(group.name)
            runtime.applySettings(of: group)
            if change.parts.contains(.shares) && member {
                do {
                    try applyShares(of: group)
                } catch {
                    // Nothing of the group is taken: its shares go back to what they ran with.
                    if let before { runtime.applySettings(of: before) }
                    runtime.logger.error(
                        "group \(group.name): could not take its new shares (\(error)); the group's changes take effect when the daemon restarts"
                    )
                    failed[group.name] = "\(error)"
                    continue
                }
            }
            if change.parts.contains(.patterns), let captures = running.parts?.captures {
                let contexts = change.shares.compactMap { runtime.shares[group: group.name, share: $0] }
                for context in contexts where context.capture != nil {
                    runtime.logger.notice(
                        "\(context.key): change capture restarts with the new patterns, then compares the whole tree")
                }
                running.work.add { await captures.restart(contexts.filter { $0.capture != nil }) }
            }
            if change.parts.contains(.bandwidth) {
                runtime.applyBandwidth(group: group.name, bandwidth: group.bandwidth, offsite: group.offsiteBandwidth)
                runtime.logger.notice(
                    "group \(group.name) sends at \(Self.rate(group.bandwidth)) from now on\(group.bandwidth.schedule.isEmpty ? "" : ", with \(group.bandwidth.schedule.count) scheduled windows")"
                )
            }
            if change.parts.contains(.checks) { failover.applyChecks(of: group) }
            if change.parts.contains(.archives), let archives {
                running.work.add { await archives.schedulesChanged(group: group.name) }
            }
            if change.parts.contains(.intervals), let requests = running.parts?.requests[group.name] {
                running.work.add { await requests.settingsChanged() }
            }
            for name in change.names where !name.hasPrefix("the bandwidth") {
                runtime.logger.notice("\(name): the running node takes the new configuration from now on")
            }
        }
        return failed
    }

    /// The group's shares as the reloaded file has them: those that left stop, those that came start, and the
    /// group's mirror restarts with them (a follower reconnects; the node that serves captures the new ones).
    private func applyShares(of group: GroupConfiguration) throws {
        let (left, came) = try runtime.replaceShares(of: group)
        archives?.sharesLeft(left)
        for context in left {
            runtime.logger.notice(
                "\(context.key) is no longer mirrored by this node: its tree \(context.localPath) stays as it is")
        }
        for context in came {
            runtime.logger.notice("\(context.key) is mirrored from now on (\(context.localPath))")
        }
        let (archives, running) = (archives, running)
        running.work.add {
            // History is kept from a new share's first sync: its archive directory is open before the mirror starts.
            await archives?.sharesCame(came)
            running.sharesChanged(group.name, came: came)
        }
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
