/// The changes to one group that a running node takes in place (a reload): each part is set where the node reads it,
/// and no connection of the group is closed.
public struct GroupChange: Sendable, Equatable {
    /// What changed, each taken in place.
    public enum Part: String, Sendable, CaseIterable, Comparable {
        /// `bandwidth`, `bandwidth_schedule`, `offsite_bandwidth`, `offsite_bandwidth_schedule`: the next write takes
        /// the new limit.
        case bandwidth
        /// `checks`: the old ones stop, the new ones start (a check kept as it was keeps its state).
        case checks
        /// `[[groups.NAME.archives]]`: the next look at the schedules takes them (every few seconds).
        case archives
        /// `include`, `exclude` of existing shares: the serving node restarts the share's change capture with them,
        /// which compares the whole tree once.
        case patterns
        /// `resync_interval`, `verify_interval`: from the next comparison on.
        case intervals

        public static func < (lhs: Part, rhs: Part) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public var group: String
    public var parts: Set<Part>
    /// The shares whose patterns changed (`patterns`).
    public var shares: [String]

    public init(group: String, parts: Set<Part>, shares: [String] = []) {
        self.group = group
        self.parts = parts
        self.shares = shares
    }

    /// For people: "the bandwidth of group web", "the patterns of share web/site", ...
    public var names: [String] {
        parts.sorted().map { part in
            switch part {
            case .bandwidth: "the bandwidth of group \(group)"
            case .checks: "the checks of group \(group)"
            case .archives: "the archive schedules of group \(group)"
            case .patterns:
                "the patterns of \(shares.count == 1 ? "share" : "shares") \(shares.map { "\(group)/\($0)" }.joined(separator: ", "))"
            case .intervals: "the resync and verify intervals of group \(group)"
            }
        }
    }

    /// What differs between `running` and `loaded` of the same group, when every difference is a part the node takes
    /// in place; nil when something else differs (the group is then named for the restart).
    static func between(_ running: GroupConfiguration, _ loaded: GroupConfiguration) -> GroupChange? {
        var probe = running
        var change = GroupChange(group: running.name, parts: [])
        if probe.bandwidth != loaded.bandwidth || probe.offsiteBandwidth != loaded.offsiteBandwidth {
            change.parts.insert(.bandwidth)
            probe.bandwidth = loaded.bandwidth
            probe.offsiteBandwidth = loaded.offsiteBandwidth
        }
        if probe.takeover.checks != loaded.takeover.checks {
            change.parts.insert(.checks)
            probe.takeover.checks = loaded.takeover.checks
        }
        if probe.archives != loaded.archives {
            change.parts.insert(.archives)
            probe.archives = loaded.archives
        }
        if probe.resyncInterval != loaded.resyncInterval || probe.verifyInterval != loaded.verifyInterval {
            change.parts.insert(.intervals)
            probe.resyncInterval = loaded.resyncInterval
            probe.verifyInterval = loaded.verifyInterval
        }
        // Patterns of the same shares, in the same order: a share added, removed or moved is not in place.
        if probe.shares.map(\.name) == loaded.shares.map(\.name) {
            for index in probe.shares.indices {
                let new = loaded.shares[index]
                guard probe.shares[index].include != new.include || probe.shares[index].exclude != new.exclude
                else { continue }
                change.parts.insert(.patterns)
                change.shares.append(new.name)
                probe.shares[index].include = new.include
                probe.shares[index].exclude = new.exclude
                probe.shares[index].filter = new.filter
            }
        }
        return probe == loaded && !change.parts.isEmpty ? change : nil
    }
}
