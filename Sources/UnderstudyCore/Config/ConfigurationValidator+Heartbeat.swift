/// `[heartbeat]` (`interval`, `dead_time`, `isolation_time`, `port`), and each node's `[nodes.NAME.links]` and
/// `[nodes.NAME.isolation_check]`.
extension ConfigurationValidator {
    static let heartbeatKeys = ["interval", "dead_time", "isolation_time", "port"]

    mutating func readHeartbeat(_ root: TOMLTable) -> HeartbeatConfiguration? {
        guard let value = root["heartbeat"] else { return HeartbeatConfiguration() }
        guard let table = value.table else {
            report(
                .wrongType, value.line,
                "'heartbeat' must be a table, like [heartbeat] with 'interval' and 'dead_time', not \(value.typeDescription)"
            )
            return nil
        }
        let place = "[heartbeat]"
        checkKeys(of: table, allowed: Self.heartbeatKeys, place: place)
        let interval = readDuration(
            "interval", table, place: place, default: HeartbeatConfiguration.defaultInterval,
            range: ConfigDuration(seconds: 0.01)...ConfigDuration(seconds: 60))
        let deadTime = readDuration(
            "dead_time", table, place: place, default: HeartbeatConfiguration.defaultDeadTime,
            range: ConfigDuration(seconds: 0.03)...ConfigDuration(seconds: 600))
        let port = readInteger(
            "port", table, place: place, default: HeartbeatConfiguration.defaultPort, range: 1...65535)
        guard let interval, let deadTime, let port else { return nil }
        if deadTime.seconds < 3 * interval.seconds {
            report(
                .invalidDuration, table["dead_time"]?.line ?? table.line,
                "'dead_time' in [heartbeat] is \(deadTime), less than three intervals (\(interval) each); one lost heartbeat would make a link look down. Raise dead_time or lower interval"
            )
            return nil
        }
        var isolation = ConfigDuration(seconds: deadTime.seconds / 2)
        if table["isolation_time"] != nil {
            guard
                let read = readDuration(
                    "isolation_time", table, place: place, default: isolation,
                    range: ConfigDuration(seconds: 0.01)...ConfigDuration(seconds: 600))
            else { return nil }
            if read >= deadTime {
                report(
                    .invalidDuration, table["isolation_time"]!.line,
                    "'isolation_time' in [heartbeat] is \(read), not shorter than dead_time (\(deadTime)); an isolated primary must give up its address before the standby takes it"
                )
                return nil
            }
            isolation = read
        }
        return HeartbeatConfiguration(interval: interval, deadTime: deadTime, isolationTime: isolation, port: port)
    }

    /// `[nodes.NAME.links]`: name = "address literal".
    mutating func readLinks(_ table: TOMLTable, node: String) -> [NodeLink]? {
        guard let value = table["links"] else { return [] }
        let place = Self.header("nodes", node, "links")
        guard let links = value.table else {
            report(
                .wrongType, value.line,
                "'links' in \(Self.header("nodes", node)) must be a table of link = \"address\", like \(place) with dedicated = \"10.0.0.1\", not \(value.typeDescription)"
            )
            return nil
        }
        var result: [NodeLink] = []
        var valid = true
        var firstLineByAddress: [String: (String, Int)] = [:]
        for entry in links.entries {
            guard Self.isValidName(entry.key, allowDot: false) else {
                report(
                    .invalidName, entry.value.line,
                    "link name '\(entry.key)' in \(place) is invalid: use letters, digits, '-' and '_'")
                valid = false
                continue
            }
            // `name = "10.0.0.1"`, or `name = { address = "10.0.0.1", mirror = false }` for a link the mirror never uses.
            var mirror = true
            var addressValue = entry.value
            if let table = entry.value.table {
                let linkPlace = Self.header("nodes", node, "links", entry.key)
                checkKeys(of: table, allowed: ["address", "mirror"], place: linkPlace)
                guard let address = table["address"] else {
                    report(.missingKey, entry.value.line, "missing required key 'address' in \(linkPlace)")
                    valid = false
                    continue
                }
                guard let flag = readBool("mirror", table, place: linkPlace, default: true) else {
                    valid = false
                    continue
                }
                mirror = flag
                addressValue = address
            }
            guard let text = addressValue.string else {
                report(
                    .wrongType, addressValue.line,
                    "link '\(entry.key)' in \(place) must be an IP address as a string, like \"10.0.0.1\", or a table like { address = \"10.0.0.1\", mirror = false }, not \(addressValue.typeDescription)"
                )
                valid = false
                continue
            }
            guard Self.isAddressLiteral(text) else {
                report(
                    .invalidAddress, entry.value.line,
                    "link '\(entry.key)' in \(place) is '\(text)', not an IPv4 or IPv6 address; links take addresses, not names, so heartbeats work when DNS does not"
                )
                valid = false
                continue
            }
            if let (other, line) = firstLineByAddress[text] {
                report(
                    .conflict, entry.value.line,
                    "links '\(entry.key)' and '\(other)' (line \(line)) of node '\(node)' have the same address \(text); each link is a separate path"
                )
                valid = false
                continue
            }
            firstLineByAddress[text] = (entry.key, entry.value.line)
            result.append(NodeLink(name: entry.key, address: text, mirror: mirror))
        }
        return valid ? result : nil
    }

    /// `[nodes.NAME.isolation_check]`: a check table; .some(nil) when absent.
    mutating func readIsolationCheck(_ table: TOMLTable, node: String) -> CheckConfiguration?? {
        guard let value = table["isolation_check"] else { return .some(nil) }
        let place = Self.header("nodes", node, "isolation_check")
        guard let check = value.table else {
            report(
                .wrongType, value.line,
                "'isolation_check' in \(Self.header("nodes", node)) must be a table, like \(place) with type = \"command\", not \(value.typeDescription)"
            )
            return nil
        }
        guard let read = readCheck(check, place: place, defaultName: "isolation") else { return nil }
        return .some(read)
    }

    /// Every pair of nodes in a group needs a link in common for heartbeats; a group without is a mirror only,
    /// which is fine, but a group that asks for takeover features without links is a mistake.
    mutating func checkGroupLinks(nodes: [NodeDraft], groups: [GroupDraft]) {
        for group in groups {
            guard let primary = group.primary, let standby = group.standby,
                let first = nodes.first(where: { $0.name == primary })?.links,
                let second = nodes.first(where: { $0.name == standby })?.links
            else { continue }
            let common = Set(first.map(\.name)).intersection(second.map(\.name))
            if common.isEmpty && (!first.isEmpty || !second.isEmpty) {
                report(
                    .invalidValue, group.line,
                    "nodes '\(primary)' and '\(standby)' of group '\(group.name)' have no link in common (\(primary): \(Self.names(first)); \(standby): \(Self.names(second))); give both the same link names so heartbeats can flow"
                )
            } else if common.isEmpty, group.asksForTakeover {
                report(
                    .invalidValue, group.line,
                    "group '\(group.name)' sets takeover keys but its nodes have no links; add [nodes.\(primary).links] and [nodes.\(standby).links] with the same link names so the standby can watch the primary"
                )
            }
        }
    }

    /// A witness node must be a node of the configuration with a link in common with each of the group's nodes (its
    /// heartbeats are what it testifies with).
    mutating func checkWitnessLinks(nodes: [NodeDraft], groups: [GroupDraft], root: TOMLTable) {
        for group in groups {
            guard case .node(let witness)? = group.takeover?.witness, let primary = group.primary,
                let standby = group.standby
            else { continue }
            let line = root["groups"]?.table?[group.name]?.table?["witness"]?.line ?? group.line
            guard let draft = nodes.first(where: { $0.name == witness }) else {
                report(
                    .unknownNode, line,
                    "the witness '\(witness)' of group '\(group.name)' is not a node; add [nodes.\(witness)] with an 'address' and links to '\(primary)' and '\(standby)', or name a check target in [groups.\(group.name).witness]"
                )
                continue
            }
            let own = Set((draft.links ?? []).map(\.name))
            for member in [primary, standby] {
                let theirs = Set((nodes.first { $0.name == member }?.links ?? []).map(\.name))
                if own.intersection(theirs).isEmpty {
                    report(
                        .invalidValue, line,
                        "the witness '\(witness)' of group '\(group.name)' has no link in common with '\(member)' (\(witness): \(Self.names(draft.links ?? [])); \(member): \(theirs.isEmpty ? "none" : theirs.sorted().joined(separator: ", "))); a witness testifies by heartbeats, so it needs a link to each node"
                    )
                }
            }
        }
    }

    private static func names(_ links: [NodeLink]) -> String {
        links.isEmpty ? "none" : links.map(\.name).joined(separator: ", ")
    }
}
