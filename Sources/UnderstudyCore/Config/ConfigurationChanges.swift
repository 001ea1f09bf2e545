/// What differs between the configuration a daemon runs with and the file it re-read (SIGHUP): the parts a running
/// daemon takes in place, and those that take effect only when it restarts, each named for the log.
public struct ConfigurationChanges: Sendable, Equatable {
    /// `[notify]`'s channels and repeat window differ: the daemon swaps its notification channels.
    public var notifications = false
    /// The groups whose every change is one the daemon takes in place (bandwidth limits, checks, archive schedules,
    /// patterns, intervals: `GroupChange`), in name order.
    public var groups: [GroupChange] = []
    /// What differs and takes effect at the next restart, as the administrator would name it ("group web
    /// changed", "[heartbeat]").
    public var atRestart: [String] = []

    public var isEmpty: Bool { !notifications && groups.isEmpty && atRestart.isEmpty }

    /// The changes taken in place, for people: "[notify]", "the bandwidth of group web", ...
    public var appliedNames: [String] { (notifications ? ["[notify]"] : []) + groups.flatMap(\.names) }

    public static func between(_ running: ClusterConfiguration, _ loaded: ClusterConfiguration) -> ConfigurationChanges
    {
        var changes = ConfigurationChanges()
        var runningNotify = running.notify
        // The stall threshold belongs to the status reporter, which takes it at start.
        if runningNotify.replicationStalledAfter != loaded.notify.replicationStalledAfter {
            changes.atRestart.append("[notify] replication_stalled_after")
        }
        runningNotify.replicationStalledAfter = loaded.notify.replicationStalledAfter
        changes.notifications = runningNotify != loaded.notify
        if running.cluster != loaded.cluster { changes.atRestart.append("the cluster's name") }
        if running.certificatesDirectory != loaded.certificatesDirectory {
            changes.atRestart.append("the certificates' directory")
        }
        if running.heartbeat != loaded.heartbeat { changes.atRestart.append("[heartbeat]") }
        if running.console != loaded.console { changes.atRestart.append("[console]") }
        changes.atRestart += differences(running.nodes, loaded.nodes, kind: "node")
        for name in Set(running.groups.keys).intersection(loaded.groups.keys).sorted() {
            guard let old = running.groups[name], let new = loaded.groups[name], old != new,
                let change = GroupChange.between(old, new)
            else { continue }
            changes.groups.append(change)
        }
        changes.atRestart += differences(running.groups, loaded.groups, kind: "group").filter { line in
            !changes.groups.contains { line == "group \($0.group) changed" }
        }
        return changes
    }

    /// "group web added", "group mail removed", "group files changed", in name order.
    static func differences<Value: Equatable>(
        _ running: [String: Value], _ loaded: [String: Value], kind: String
    ) -> [String] {
        Set(running.keys).union(loaded.keys).sorted().compactMap { name in
            switch (running[name], loaded[name]) {
            case (nil, _?): "\(kind) \(name) added"
            case (_?, nil): "\(kind) \(name) removed"
            case (let old?, let new?) where old != new: "\(kind) \(name) changed"
            default: nil
            }
        }
    }

    /// The running configuration once the changes taken in place are: the loaded `[notify]` channels, and the loaded
    /// configuration of each group changed in place.
    public static func applied(
        _ changes: ConfigurationChanges, from loaded: ClusterConfiguration, to running: ClusterConfiguration
    )
        -> ClusterConfiguration
    {
        var result = running
        if changes.notifications {
            let stalled = running.notify.replicationStalledAfter
            result.notify = loaded.notify
            result.notify.replicationStalledAfter = stalled
        }
        for change in changes.groups {
            // Every difference of the group is one taken in place: the loaded group is what runs now.
            result.groups[change.group] = loaded.groups[change.group]
        }
        return result
    }
}
