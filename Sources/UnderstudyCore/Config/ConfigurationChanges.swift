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
    /// Groups and nodes added, removed or changed that the daemon's node takes no part in (not a member or witness
    /// of the group; not a node of any group it takes part in): nothing on this node changes, so they are taken at
    /// once ("group mail added"). Only with the node named (`between(_:_:node:)`).
    public var elsewhere: [String] = []
    private var elsewhereGroups: [String] = []
    private var elsewhereNodes: [String] = []
    /// Groups added and removed that the daemon's node is primary or standby of, started or stopped in place
    /// (`takesInPlace`), in name order. Only with the node named.
    public var groupsAdded: [String] = []
    public var groupsRemoved: [String] = []
    /// Nodes added or removed that a group of this node names (a new primary of a group added): nothing runs for a
    /// node by itself, so they are taken with the groups.
    public var nodesAdded: [String] = []
    public var nodesRemoved: [String] = []

    public var isEmpty: Bool {
        !notifications && groups.isEmpty && atRestart.isEmpty && elsewhere.isEmpty && groupsAdded.isEmpty
            && groupsRemoved.isEmpty && nodesAdded.isEmpty && nodesRemoved.isEmpty
    }

    /// Something is taken in place (the rest, if any, waits for the restart).
    public var takesAnything: Bool {
        notifications || !groups.isEmpty || !elsewhere.isEmpty || !groupsAdded.isEmpty || !groupsRemoved.isEmpty
            || !nodesAdded.isEmpty || !nodesRemoved.isEmpty
    }

    /// The changes taken in place, for people: "[notify]", "the bandwidth of group web", ...
    public var appliedNames: [String] {
        (notifications ? ["[notify]"] : []) + nodesAdded.map { "node \($0) added" }
            + groupsAdded.map { "group \($0) added" } + groupsRemoved.map { "group \($0) removed" }
            + nodesRemoved.map { "node \($0) removed" } + groups.flatMap(\.names)
            + elsewhere.map { "\($0) (this node takes no part in it)" }
    }

    /// Drops the groups a node could not start or stop (`failed`): they wait for the restart, and so do the nodes
    /// added or removed with them only.
    public mutating func keepOut(_ failed: Set<String>, running: ClusterConfiguration, loaded: ClusterConfiguration) {
        groups.removeAll { failed.contains($0.group) }
        groupsAdded.removeAll { failed.contains($0) }
        groupsRemoved.removeAll { failed.contains($0) }
        settleNodes(running: running, loaded: loaded)
    }

    /// A node added is taken with a group added that names it, a node removed once no group that runs on names it;
    /// the others wait for the restart with the groups that name them.
    private mutating func settleNodes(running: ClusterConfiguration, loaded: ClusterConfiguration) {
        let added = nodesAdded.filter { node in
            groupsAdded.contains { loaded.groups[$0].map { Self.involves($0, node) } ?? false }
        }
        let removed = nodesRemoved.filter { node in
            !running.groups.contains { name, group in !groupsRemoved.contains(name) && Self.involves(group, node) }
        }
        atRestart +=
            nodesAdded.filter { !added.contains($0) }.map { "node \($0) added" }
            + nodesRemoved.filter { !removed.contains($0) }.map { "node \($0) removed" }
        (nodesAdded, nodesRemoved) = (added, removed)
    }

    /// - Parameter node: the daemon's node: differences of groups and nodes it takes no part in go to `elsewhere`
    ///   instead of `atRestart` (nil: every one is named for the restart).
    public static func between(
        _ running: ClusterConfiguration, _ loaded: ClusterConfiguration, node: String? = nil
    ) -> ConfigurationChanges {
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
        let concerned = node.map { concernedNodes(of: $0, in: [running, loaded]) }
        for line in differences(running.nodes, loaded.nodes, kind: "node") {
            if let concerned, let name = subject(of: line, kind: "node"), !concerned.contains(name) {
                changes.elsewhere.append(line)
                changes.elsewhereNodes.append(name)
            } else if node != nil, let name = subject(of: line, kind: "node"), line.hasSuffix(" added") {
                changes.nodesAdded.append(name)
            } else if node != nil, let name = subject(of: line, kind: "node"), line.hasSuffix(" removed") {
                changes.nodesRemoved.append(name)
            } else {
                changes.atRestart.append(line)
            }
        }
        for name in Set(running.groups.keys).intersection(loaded.groups.keys).sorted() {
            guard let old = running.groups[name], let new = loaded.groups[name], old != new,
                let change = GroupChange.between(old, new)
            else { continue }
            changes.groups.append(change)
        }
        for line in differences(running.groups, loaded.groups, kind: "group")
        where !changes.groups.contains(where: { line == "group \($0.group) changed" }) {
            if let node, let name = subject(of: line, kind: "group"),
                ![running.groups[name], loaded.groups[name]].contains(where: { $0.map { involves($0, node) } ?? false })
            {
                changes.elsewhere.append(line)
                changes.elsewhereGroups.append(name)
            } else if let node, let name = subject(of: line, kind: "group"), line.hasSuffix(" added"),
                let group = loaded.groups[name], takesInPlace(group, node)
            {
                changes.groupsAdded.append(name)
            } else if let node, let name = subject(of: line, kind: "group"), line.hasSuffix(" removed"),
                let group = running.groups[name], takesInPlace(group, node)
            {
                changes.groupsRemoved.append(name)
            } else {
                changes.atRestart.append(line)
            }
        }
        if node != nil { changes.settleNodes(running: running, loaded: loaded) }
        return changes
    }

    /// A group `node` is the primary or standby of starts and stops in place, unless it has an off-site node (its
    /// cascade is set up at the start) or a witness node (which learns the groups it witnesses at its start; a
    /// witness target is a check, started and stopped with the group).
    static func takesInPlace(_ group: GroupConfiguration, _ node: String) -> Bool {
        guard group.primary == node || group.standby == node, group.offsite == nil else { return false }
        if case .node? = group.takeover.witness { return false }
        return true
    }

    /// `node` is a member (primary, standby, off-site node) or the witness node of `group`.
    static func involves(_ group: GroupConfiguration, _ node: String) -> Bool {
        group.members.contains(node) || group.takeover.witness == .node(node)
    }

    /// `node` and every node of the groups it takes part in, in any of `configurations`.
    static func concernedNodes(of node: String, in configurations: [ClusterConfiguration]) -> Set<String> {
        var concerned: Set<String> = [node]
        for configuration in configurations {
            for group in configuration.groups.values where involves(group, node) {
                concerned.formUnion(group.members)
                if case .node(let witness)? = group.takeover.witness { concerned.insert(witness) }
            }
        }
        return concerned
    }

    /// The name in a line of `differences` ("group mail added" → "mail").
    private static func subject(of line: String, kind: String) -> String? {
        let words = line.split(separator: " ")
        guard words.count == 3, words[0] == kind else { return nil }
        return String(words[1])
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
        for name in changes.elsewhereGroups + changes.groupsAdded + changes.groupsRemoved {
            result.groups[name] = loaded.groups[name]
        }
        for name in changes.elsewhereNodes + changes.nodesAdded { result.nodes[name] = loaded.nodes[name] }
        // A node stays while a group that runs still names it (its group could not be stopped).
        for name in changes.nodesRemoved where !result.groups.values.contains(where: { involves($0, name) }) {
            result.nodes[name] = nil
        }
        return result
    }
}
