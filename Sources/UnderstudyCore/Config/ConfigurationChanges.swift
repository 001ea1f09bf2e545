/// What differs between the configuration a daemon runs with and the file it re-read (SIGHUP): the parts a running
/// daemon takes in place, and those that take effect only when it restarts, each named for the log.
public struct ConfigurationChanges: Sendable, Equatable {
    /// `[notify]`'s channels and repeat window differ: the daemon swaps its notification channels.
    public var notifications = false
    /// The groups whose only change is their bandwidth limits (`bandwidth`, `bandwidth_schedule`,
    /// `offsite_bandwidth`): the daemon sets them in place, the next write takes them.
    public var bandwidth: [String] = []
    /// What differs and takes effect at the next restart, as the administrator would name it ("group web
    /// changed", "[heartbeat]").
    public var atRestart: [String] = []

    public var isEmpty: Bool { !notifications && bandwidth.isEmpty && atRestart.isEmpty }

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
            guard var probe = running.groups[name], let new = loaded.groups[name], probe != new else { continue }
            probe.bandwidth = new.bandwidth
            probe.offsiteBandwidth = new.offsiteBandwidth
            if probe == new { changes.bandwidth.append(name) }
        }
        changes.atRestart += differences(running.groups, loaded.groups, kind: "group").filter { line in
            !changes.bandwidth.contains { line == "group \($0) changed" }
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

    /// The running configuration once the changes taken in place are: the loaded `[notify]` channels and bandwidth
    /// limits.
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
        for name in changes.bandwidth {
            guard let new = loaded.groups[name] else { continue }
            result.groups[name]?.bandwidth = new.bandwidth
            result.groups[name]?.offsiteBandwidth = new.offsiteBandwidth
        }
        return result
    }
}
