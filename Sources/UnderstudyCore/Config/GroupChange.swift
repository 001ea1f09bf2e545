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
        /// Shares added or removed, in a group with no off-site node: the group's mirror restarts with them (its
        /// follower reconnects); its other groups' do not. A share changed otherwise than in its patterns (its paths,
        /// `history`) waits for the restart with its whole group.
        case shares
        /// `verify_every`, `proof_timeout`, `proof_private`: from the next proof on.
        case proof

        public static func < (lhs: Part, rhs: Part) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public var group: String
    public var parts: Set<Part>
    /// The shares whose patterns changed (`patterns`).
    public var shares: [String]
    /// The shares added and removed (`shares`).
    public var added: [String] = []
    public var removed: [String] = []

    public init(group: String, parts: Set<Part>, shares: [String] = [], added: [String] = [], removed: [String] = []) {
        self.group = group
        self.parts = parts
        self.shares = shares
        self.added = added
        self.removed = removed
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
            case .proof: "the proof settings of group \(group)"
            case .shares:
                "the shares of group \(group) ("
                    + [("added", added), ("removed", removed)]
                    .filter { !$0.1.isEmpty }.map { "\($0.0): \($0.1.joined(separator: ", "))" }
                    .joined(separator: "; ") + ")"
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
        if probe.proof != loaded.proof {
            change.parts.insert(.proof)
            probe.proof = loaded.proof
        }
        // Patterns of a share kept: in place. A share added or removed: the group's mirror restarts with its new
        // shares, unless an off-site node keeps a copy (its cascade waits for the restart).
        let old = Dictionary(uniqueKeysWithValues: probe.shares.map { ($0.name, $0) })
        for share in loaded.shares {
            guard let before = old[share.name] else {
                change.added.append(share.name)
                continue
            }
            if before == share { continue }
            // A share's paths or history changed: its tree, index and archives are another share's; at the restart.
            guard before.withPatterns(of: share) == share else { return nil }
            change.parts.insert(.patterns)
            change.shares.append(share.name)
        }
        change.removed = probe.shares.map(\.name).filter { name in !loaded.shares.contains { $0.name == name } }
        if !change.added.isEmpty || !change.removed.isEmpty || probe.shares.map(\.name) != loaded.shares.map(\.name) {
            guard running.offsite == nil && loaded.offsite == nil else { return nil }
            change.parts.insert(.shares)
        }
        probe.shares = loaded.shares
        return probe == loaded && !change.parts.isEmpty ? change : nil
    }
}

extension ShareConfiguration {
    /// This share with `other`'s include and exclude patterns.
    public func withPatterns(of other: ShareConfiguration) -> ShareConfiguration {
        var result = self
        result.include = other.include
        result.exclude = other.exclude
        result.filter = other.filter
        return result
    }
}
