/// `[groups.NAME]` tables (`primary`, `standby`, `resync_interval`, `quiet_delay`, `max_delay`, `shares`) and their
/// `[[groups.NAME.shares]]` (`name`, `source`, `replica`, `include`, `exclude`).
extension ConfigurationValidator {
    static let groupKeys =
        [
            "primary", "standby", "resync_interval", "quiet_delay", "max_delay", "live", "verify_interval", "bandwidth",
            "bandwidth_schedule", "shares", "archives", "offsite", "offsite_bandwidth", "offsite_bandwidth_schedule",
            "offsite_compression", "compare_slice", "agentless", "scan_interval",
        ]
        + takeoverKeys + recoverySiteKeys + proofKeys + ["recipe"]
    static let shareKeys = [
        "name", "source", "replica", "offsite_replica", "include", "exclude", "history", "archive_dir",
    ]

    struct GroupDraft {
        var name: String
        var line: Int
        var nameIsValid = false
        var primary: String?
        var primaryLine: Int
        var standby: String?
        var standbyLine: Int
        /// nil: none; .some(nil): named, but not usable.
        var offsite: String?? = .some(nil)
        var resyncInterval: ConfigDuration?
        var quietDelay: ConfigDuration?
        var maxDelay: ConfigDuration?
        var bandwidth: BandwidthLimit?
        var offsiteBandwidth: BandwidthLimit?
        var offsiteCompression: Int? = GroupConfiguration.defaultOffsiteCompression
        var compareSlice: Int? = PathSlice.defaultLimit
        var live: Bool? = true
        var verifyInterval: ConfigDuration?
        var shares: [ShareDraft] = []
        var sharesAreValid = false
        var takeover: TakeoverConfiguration?
        var archives: [ArchiveConfiguration]? = []
        var recoverySite: RecoverySiteConfiguration? = RecoverySiteConfiguration()
        /// True when the table sets any key that only matters with heartbeats (an address, scripts, checks...).
        var asksForTakeover = false
        /// `agentless = true`; nil: not a boolean.
        var agentless: Bool? = false
        var proof: ProofConfiguration? = ProofConfiguration()
        /// `recipe`: .some(nil) when not set, nil when not usable.
        var recipe: String?? = .some(nil)

        var built: GroupConfiguration? {
            guard nameIsValid, sharesAreValid, let primary, let standby, let offsite, let resyncInterval,
                let quietDelay,
                let maxDelay,
                let bandwidth, let offsiteBandwidth, let offsiteCompression, let compareSlice, let live,
                let verifyInterval,
                let takeover,
                let archives, let recoverySite, let agentless, let proof, let recipe
            else { return nil }
            var built: [ShareConfiguration] = []
            for share in shares {
                guard let configuration = share.built else { return nil }
                built.append(configuration)
            }
            return GroupConfiguration(
                name: name, primary: primary, standby: standby, offsite: offsite, resyncInterval: resyncInterval,
                quietDelay: quietDelay, maxDelay: maxDelay, live: live, verifyInterval: verifyInterval,
                bandwidth: bandwidth, offsiteBandwidth: offsiteBandwidth, offsiteCompression: offsiteCompression,
                compareSlice: compareSlice, shares: built, takeover: takeover,
                archives: archives, recoverySite: recoverySite, agentless: agentless, proof: proof, recipe: recipe)
        }
    }

    struct ShareDraft {
        var line: Int
        var name: String?
        var source: String?
        var sourceLine: Int
        var replica: String?
        var replicaLine: Int
        var replicaIsDefault = true
        /// nil: not usable; .some(nil): not set (the replica's path).
        var offsiteReplica: String?? = .some(nil)
        var include: [String]?
        var exclude: [String]?
        var history: ConfigDuration?? = .some(nil)
        var archiveDirectory: String?? = .some(nil)

        var built: ShareConfiguration? {
            guard let name, let source, let replica, let offsiteReplica, let include, let exclude, let history,
                let archiveDirectory
            else {
                return nil
            }
            return try? ShareConfiguration(
                name: name, source: source, replica: replica, offsiteReplica: offsiteReplica, include: include,
                exclude: exclude,
                history: history, archiveDirectory: archiveDirectory)
        }

        /// "share 'site'", or "the share on line 12" when it has no usable name.
        var title: String { name.map { "share '\($0)'" } ?? "the share on line \(line)" }
    }

    mutating func readGroups(_ root: TOMLTable, nodes: [NodeDraft]) -> [GroupDraft] {
        guard let value = root["groups"] else { return [] }
        guard let table = value.table else {
            report(
                .wrongType, value.line,
                "'groups' must be a table of groups, like [groups.web], not \(value.typeDescription)")
            return []
        }
        let nodeNames = nodes.map(\.name)
        var groups: [GroupDraft] = []
        for entry in table.entries {
            guard let groupTable = entry.value.table else {
                report(
                    .wrongType, entry.value.line,
                    "'\(entry.key)' in [groups] must be a table, like \(Self.header("groups", entry.key)), not \(entry.value.typeDescription)"
                )
                continue
            }
            groups.append(readGroup(entry.key, groupTable, nodeNames: nodeNames))
        }
        return groups
    }

    private mutating func readGroup(_ name: String, _ table: TOMLTable, nodeNames: [String]) -> GroupDraft {
        let place = Self.header("groups", name)
        var group = GroupDraft(name: name, line: table.line, primaryLine: table.line, standbyLine: table.line)
        group.nameIsValid = Self.isValidName(name, allowDot: true)
        if !group.nameIsValid {
            report(.invalidName, table.line, "group name '\(name)' is invalid: \(Self.nameRule)")
        }
        checkKeys(of: table, allowed: Self.groupKeys, place: place)
        group.agentless = readBoolean("agentless", table, place: place, default: false)

        for role in ["primary", "standby"] {
            guard
                let (node, line) = readString(
                    role, in: table, place: place, required: true, expectation: "the name of a node")
            else { continue }
            if role == "primary" { group.primaryLine = line } else { group.standbyLine = line }
            if role == "primary" && group.agentless == true {
                group.primary = readAgentlessPrimary(node, line: line, group: name, nodeNames: nodeNames)
                continue
            }
            guard nodeNames.contains(node) else {
                var message = "\(role) '\(node)' of group '\(name)' is not a node defined in [nodes]"
                if let suggestion = Self.suggestion(for: node, among: nodeNames) {
                    message += "; did you mean '\(suggestion)'?"
                } else if !nodeNames.isEmpty {
                    message += "; the nodes are " + nodeNames.map { "'\($0)'" }.joined(separator: ", ")
                }
                report(.unknownNode, line, message)
                continue
            }
            if role == "primary" { group.primary = node } else { group.standby = node }
        }
        if let primary = group.primary, primary == group.standby {
            report(
                .sameNode, group.standbyLine,
                "group '\(name)' has '\(primary)' as both primary and standby; the standby must be another node")
            group.standby = nil
        }

        group.offsite = readOffsite(table, group: group, nodeNames: nodeNames, place: place)
        group.resyncInterval = readDuration(
            "resync_interval", table, place: place, default: GroupConfiguration.defaultResyncInterval,
            range: GroupConfiguration.minimumResyncInterval...GroupConfiguration.maximumInterval)
        group.quietDelay = readDuration(
            "quiet_delay", table, place: place, default: GroupConfiguration.defaultQuietDelay,
            range: ConfigDuration(seconds: 0)...ConfigDuration(seconds: 10))
        // Without a max_delay of its own, a longer quiet_delay raises it: the default must not refuse the quiet delay.
        group.maxDelay = readDuration(
            "max_delay", table, place: place,
            default: max(GroupConfiguration.defaultMaxDelay, group.quietDelay ?? GroupConfiguration.defaultQuietDelay),
            range: ConfigDuration(seconds: 0.001)...ConfigDuration(seconds: 60))
        group.verifyInterval = readDuration(
            "verify_interval", table, place: place, default: GroupConfiguration.defaultVerifyInterval,
            range: ConfigDuration(seconds: 1)...GroupConfiguration.maximumInterval)
        if let quiet = group.quietDelay, let max = group.maxDelay, max < quiet {
            report(
                .invalidDuration, table["max_delay"]?.line ?? table["quiet_delay"]?.line ?? table.line,
                "\(Self.subject("max_delay", place)) is \(max), shorter than quiet_delay (\(quiet)); the upper bound must be at least the quiet delay"
            )
            group.maxDelay = nil
        }
        group.bandwidth = readBandwidth(table, group: name, place: place)
        group.offsiteBandwidth = readBandwidth(table, group: name, place: place, key: "offsite_bandwidth")
        group.offsiteCompression = readInteger(
            "offsite_compression", table, place: place, default: GroupConfiguration.defaultOffsiteCompression,
            range: 1...19)
        group.compareSlice = readInteger(
            "compare_slice", table, place: place, default: PathSlice.defaultLimit,
            range: GroupConfiguration.compareSliceRange)
        if table["offsite"] == nil,
            let value = table["offsite_bandwidth"] ?? table["offsite_bandwidth_schedule"]
                ?? table["offsite_compression"]
        {
            report(
                .invalidBandwidth, value.line,
                "group '\(name)' sets how to reach its off-site node but has none; add offsite = \"NODE\", or remove the setting"
            )
            group.offsiteBandwidth = nil
        }
        group.live = readBoolean("live", table, place: place, default: true)
        (group.shares, group.sharesAreValid) = readShares(table, group: name, place: place)
        // An agentless primary runs nothing of understudy: it gets no interface, only the standby does.
        group.takeover = readTakeover(
            table, group: name, primary: group.agentless == true ? nil : group.primary, standby: group.standby,
            place: place)
        group.archives = readArchives(table, group: name, shares: group.shares, place: place)
        group.recoverySite = readRecoverySite(table, group: name, place: place)
        group.proof = readProof(table, group: group, place: place)
        applyRecipe(table, &group, place: place)
        group.asksForTakeover =
            Self.takeoverKeys.contains { $0 != "failover" && table[$0] != nil } || table["recipe"] != nil
        checkAgentless(table, &group, place: place)
        return group
    }

    /// A boolean key; nil (reported) when it is something else.
    mutating func readBoolean(_ key: String, _ table: TOMLTable, place: String, default defaultValue: Bool) -> Bool? {
        guard let value = table[key] else { return defaultValue }
        guard case .boolean(let flag) = value.kind else {
            report(
                .wrongType, value.line,
                "\(Self.subject(key, place)) must be true or false, not \(value.typeDescription)")
            return nil
        }
        return flag
    }

    mutating func readDuration(
        _ key: String, _ table: TOMLTable, place: String, default defaultValue: ConfigDuration,
        range: ClosedRange<ConfigDuration>
    ) -> ConfigDuration? {
        guard let value = table[key] else { return defaultValue }
        let duration: ConfigDuration
        switch value.kind {
        case .string(let text):
            do throws(ConfigDurationError) {
                duration = try ConfigDuration.parse(text)
            } catch {
                report(.invalidDuration, value.line, "\(Self.subject(key, place)): \(error)")
                return nil
            }
        case .integer(let seconds) where seconds >= 0:
            duration = ConfigDuration(seconds: Double(seconds))
        case .integer(let seconds):
            report(.invalidDuration, value.line, "\(Self.subject(key, place)) must not be negative (\(seconds))")
            return nil
        default:
            report(
                .wrongType, value.line,
                "\(Self.subject(key, place)) must be a duration like \"30s\" or \"5m\", or whole seconds, not \(value.typeDescription)"
            )
            return nil
        }
        if duration < range.lowerBound {
            report(
                .invalidDuration, value.line,
                "\(Self.subject(key, place)) is \(duration), below the minimum of \(range.lowerBound)")
            return nil
        }
        if duration > range.upperBound {
            report(
                .invalidDuration, value.line,
                "\(Self.subject(key, place)) is \(duration), above the maximum of \(range.upperBound)")
            return nil
        }
        return duration
    }

    private mutating func readShares(_ table: TOMLTable, group: String, place: String) -> ([ShareDraft], Bool) {
        let arrayHeader = "[[\(TOMLParser.display(["groups", group, "shares"]))]]"
        guard let value = table["shares"] else {
            report(
                .noShares, table.line,
                "group '\(group)' has no shares; add a \(arrayHeader) table with a 'name' and a 'source'")
            return ([], false)
        }
        guard let elements = value.array else {
            report(
                .wrongType, value.line,
                "\(Self.subject("shares", place)) must be an array of tables; write each share as \(arrayHeader)")
            return ([], false)
        }
        if elements.isEmpty {
            report(
                .noShares, value.line,
                "group '\(group)' has no shares; add a \(arrayHeader) table with a 'name' and a 'source'")
            return ([], false)
        }
        var shares: [ShareDraft] = []
        var valid = true
        var firstLineByName: [String: Int] = [:]
        for element in elements {
            guard let shareTable = element.table else {
                report(
                    .wrongType, element.line,
                    "each element of \(Self.subject("shares", place)) must be a table, not \(element.typeDescription)")
                valid = false
                continue
            }
            let share = readShare(shareTable, place: arrayHeader)
            if let name = share.name {
                if let first = firstLineByName[name] {
                    report(
                        .duplicateShare, shareTable["name"]?.line ?? shareTable.line,
                        "share name '\(name)' is used twice in group '\(group)' (first on line \(first))")
                    valid = false
                } else {
                    firstLineByName[name] = shareTable["name"]?.line ?? shareTable.line
                }
            }
            shares.append(share)
        }
        return (shares, valid)
    }

    private mutating func readShare(_ table: TOMLTable, place: String) -> ShareDraft {
        checkKeys(of: table, allowed: Self.shareKeys, place: place)
        var share = ShareDraft(line: table.line, sourceLine: table.line, replicaLine: table.line)
        if let (name, line) = readString("name", in: table, place: place, required: true) {
            if Self.isValidName(name, allowDot: true) {
                share.name = name
            } else {
                report(.invalidName, line, "share name '\(name)' is invalid: \(Self.nameRule)")
            }
        }
        if let (source, line) = readAbsolutePath("source", in: table, place: place, required: true) {
            share.source = source
            share.sourceLine = line
        }
        if table["replica"] != nil {
            share.replicaIsDefault = false
            if let (replica, line) = readAbsolutePath("replica", in: table, place: place, required: false) {
                share.replicaLine = line
                if replica == "/" {
                    report(
                        .invalidPath, line,
                        "\(Self.subject("replica", place)) cannot be '/': the mirror would overwrite the standby's whole file system"
                    )
                } else {
                    share.replica = replica
                }
            }
        } else if let source = share.source {
            if source == "/" {
                report(
                    .invalidPath, share.sourceLine,
                    "\(share.title) mirrors '/' but has no 'replica'; the mirror would overwrite the standby's whole file system"
                )
            } else {
                share.replica = source
            }
        }
        if table["offsite_replica"] != nil {
            if let (path, line) = readAbsolutePath("offsite_replica", in: table, place: place, required: false) {
                if path == "/" {
                    report(
                        .invalidPath, line,
                        "\(Self.subject("offsite_replica", place)) cannot be '/': the mirror would overwrite the off-site node's whole file system"
                    )
                    share.offsiteReplica = nil
                } else {
                    share.offsiteReplica = .some(path)
                }
            } else {
                share.offsiteReplica = nil
            }
        }
        share.include = readPatterns("include", in: table, place: place, share: share)
        share.exclude = readPatterns("exclude", in: table, place: place, share: share)
        if let value = table["history"] {
            if value.string == "off" || value.boolean == false {
                share.history = .some(nil)
            } else if let window = readDuration(
                "history", table, place: place, default: ConfigDuration(seconds: 0),
                range: ConfigDuration(seconds: 60)...ConfigDuration(seconds: 100 * 365 * 86400))
            {
                share.history = .some(window)
            } else {
                share.history = nil
            }
        }
        if table["archive_dir"] != nil {
            if let (directory, line) = readAbsolutePath("archive_dir", in: table, place: place, required: false) {
                let replica = share.replica ?? ""
                if directory == "/"
                    || RelativePath.isWithin(String(directory.dropFirst()), String(replica.dropFirst()))
                        && !replica.isEmpty
                {
                    report(
                        .invalidPath, line,
                        "\(Self.subject("archive_dir", place)) is '\(directory)', inside the replica '\(replica)'; the mirror would delete it — put it beside the replica, on the same file system"
                    )
                    share.archiveDirectory = nil
                } else {
                    share.archiveDirectory = .some(directory)
                }
            } else {
                share.archiveDirectory = nil
            }
        }
        return share
    }

    /// `offsite`: a node that is neither the primary nor the standby.
    private mutating func readOffsite(
        _ table: TOMLTable, group: GroupDraft, nodeNames: [String], place: String
    ) -> String?? {
        guard table["offsite"] != nil else { return .some(nil) }
        guard
            let (node, line) = readString(
                "offsite", in: table, place: place, required: false, expectation: "the name of a node")
        else { return nil }
        guard nodeNames.contains(node) else {
            var message = "offsite '\(node)' of group '\(group.name)' is not a node defined in [nodes]"
            if let suggestion = Self.suggestion(for: node, among: nodeNames) {
                message += "; did you mean '\(suggestion)'?"
            }
            report(.unknownNode, line, message)
            return nil
        }
        if node == group.primary || node == group.standby {
            report(
                .sameNode, line,
                "group '\(group.name)' has '\(node)' as its off-site node and as its \(node == group.primary ? "primary" : "standby"); the off-site copy must be on a third node"
            )
            return nil
        }
        return .some(node)
    }

    /// Compiles each pattern on its own, so that every bad one is reported with its line.
    private mutating func readPatterns(
        _ key: String, in table: TOMLTable, place: String, share: ShareDraft
    ) -> [String]? {
        guard let patterns = readStringArray(key, in: table, place: place) else { return nil }
        var valid = true
        for (pattern, line) in patterns {
            do throws(GlobError) {
                _ = try GlobPattern(pattern)
            } catch {
                report(
                    .invalidPattern, line,
                    "invalid pattern '\(error.pattern)' in '\(key)' of \(share.title): \(error.message)")
                valid = false
            }
        }
        return valid ? patterns.map(\.0) : nil
    }
}
