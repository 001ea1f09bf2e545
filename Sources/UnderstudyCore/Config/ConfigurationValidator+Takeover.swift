/// The takeover keys of `[groups.NAME]`: `failover`, `on_service_failure`, `service_address`, `interface`,
/// `start`, `stop`, `script_timeout`, `fence`, `fence_timeout`, `announce_count`, `announce_interval`,
/// `announce_refresh`, `failback`, `failback_after`, and the `[[groups.NAME.checks]]`.
extension ConfigurationValidator {
    static let takeoverKeys = [
        "failover", "on_service_failure", "service_address", "interface", "start", "stop", "script_timeout",
        "fence", "fence_timeout", "announce_count", "announce_interval", "announce_refresh", "checks",
        "failback", "failback_after", "witness",
    ]

    mutating func readTakeover(
        _ table: TOMLTable, group: String, primary: String?, standby: String?, place: String
    ) -> TakeoverConfiguration? {
        var valid = true
        let mode = readChoice("failover", table, place: place, choices: ["auto", "manual"], default: "auto")
        if let policy = readChoice(
            "on_service_failure", table, place: place, choices: ["alert", "switchover"], default: "alert"),
            policy == "switchover"
        {
            report(
                .invalidValue, table["on_service_failure"]!.line,
                "\(Self.subject("on_service_failure", place)) is 'switchover', which is not in this version: a failing service is reported; use 'alert', and move the group with `understudy switchover GROUP`"
            )
            valid = false
        }
        var serviceAddress: ServiceAddress?
        if let (text, line) = readString(
            "service_address", in: table, place: place, required: false,
            expectation: "an address like \"10.0.0.100/24\"")
        {
            do throws(ServiceAddressParseError) {
                serviceAddress = try ServiceAddress.parse(text)
            } catch {
                report(.invalidAddress, line, "\(Self.subject("service_address", place)): \(error.message)")
                valid = false
            }
        } else if table["service_address"] != nil {
            valid = false
        }
        // An invalid service_address is reported on its own; the interface for it is still needed.
        let interfaces = readInterfaces(
            table, primary: primary, standby: standby, place: place, needed: table["service_address"] != nil)
        let start = readCommands("start", table, place: place)
        let stop = readCommands("stop", table, place: place)
        let scriptTimeout = readDuration(
            "script_timeout", table, place: place, default: TakeoverConfiguration.defaultScriptTimeout,
            range: ConfigDuration(seconds: 0.1)...ConfigDuration(seconds: 86400))
        var fence: String?
        if table["fence"] != nil {
            fence = readCommand("fence", table, place: place, required: true)
            if fence == nil { valid = false }
        }
        let fenceTimeout = readDuration(
            "fence_timeout", table, place: place, default: TakeoverConfiguration.defaultFenceTimeout,
            range: ConfigDuration(seconds: 0.1)...ConfigDuration(seconds: 3600))
        let announceCount = readInteger(
            "announce_count", table, place: place, default: TakeoverConfiguration.defaultAnnounceCount, range: 1...100)
        let announceInterval = readDuration(
            "announce_interval", table, place: place, default: TakeoverConfiguration.defaultAnnounceInterval,
            range: ConfigDuration(seconds: 0.01)...ConfigDuration(seconds: 60))
        var refresh: ConfigDuration?
        if table["announce_refresh"] != nil {
            refresh = readDuration(
                "announce_refresh", table, place: place, default: ConfigDuration(seconds: 0),
                range: ConfigDuration(seconds: 0)...ConfigDuration(seconds: 86400))
            if refresh == nil {
                valid = false
            } else if refresh!.seconds == 0 {
                refresh = nil
            } else if refresh!.seconds < 1 {
                // Shorter would flood the LAN with announcements (and spin the refresher).
                report(
                    .invalidDuration, table["announce_refresh"]!.line,
                    "\(Self.subject("announce_refresh", place)) is \(refresh!), below the minimum of 1s; use \"0s\" to turn it off"
                )
                valid = false
            }
        }
        let checks = readChecks(table, group: group, place: place)
        let witness = readWitness(table, group: group, primary: primary, standby: standby, place: place)
        let failback = readChoice("failback", table, place: place, choices: ["manual", "auto"], default: "manual")
        let failbackAfter = readDuration(
            "failback_after", table, place: place, default: TakeoverConfiguration.defaultFailbackAfter,
            range: ConfigDuration(seconds: 1)...ConfigDuration(seconds: 7 * 86400))
        if failback == "manual", let value = table["failback_after"] {
            report(
                .invalidValue, value.line,
                "\(Self.subject("failback_after", place)) is set but 'failback' is not \"auto\"; set failback = \"auto\" to hand the group back by itself, or remove it"
            )
            valid = false
        }
        guard valid, let mode, let interfaces, let start, let stop, let scriptTimeout, let fenceTimeout,
            let announceCount,
            let announceInterval, let checks, let failback, let failbackAfter, let witness
        else { return nil }
        return TakeoverConfiguration(
            mode: TakeoverConfiguration.Mode(rawValue: mode)!, serviceAddress: serviceAddress, interfaces: interfaces,
            startScripts: start, stopScripts: stop, scriptTimeout: scriptTimeout, fence: fence,
            fenceTimeout: fenceTimeout, announceCount: announceCount, announceInterval: announceInterval,
            announceRefresh: refresh, checks: checks, failback: TakeoverConfiguration.Failback(rawValue: failback)!,
            failbackAfter: failbackAfter, witness: witness)
    }

    /// `witness = "NODE"` or `[groups.NAME.witness]` with a check's keys; .some(nil) when absent. That a witness node
    /// exists and has a link to each node is checked with the nodes (`checkWitnessLinks`).
    private mutating func readWitness(
        _ table: TOMLTable, group: String, primary: String?, standby: String?,
        place: String
    ) -> WitnessConfiguration?? {
        guard let value = table["witness"] else { return .some(nil) }
        if let name = value.string {
            if name == primary || name == standby {
                report(
                    .sameNode, value.line,
                    "\(Self.subject("witness", place)) is '\(name)', a node of the group; the witness must be a third node"
                )
                return nil
            }
            return .some(.node(name))
        }
        guard let check = value.table else {
            report(
                .wrongType, value.line,
                "\(Self.subject("witness", place)) must be a node name like \"gamma\", or a table like [groups.\(group).witness] with type = \"tcp\" and target, not \(value.typeDescription)"
            )
            return nil
        }
        guard let read = readCheck(check, place: Self.header("groups", group, "witness"), defaultName: "witness") else {
            return nil
        }
        return .some(.target(read))
    }

    /// `interface = "eth0"` for both nodes, or `interface = { alpha = "eth0", beta = "ens3" }`.
    private mutating func readInterfaces(
        _ table: TOMLTable, primary: String?, standby: String?, place: String, needed: Bool
    ) -> [String: String]? {
        let nodes = [primary, standby].compactMap { $0 }
        guard let value = table["interface"] else {
            if needed {
                report(
                    .missingKey, table["service_address"]?.line ?? table.line,
                    "\(place) has a 'service_address' but no 'interface'; say which interface gets it, e.g. interface = \"eth0\" (or interface = { \(nodes.map { "\($0) = \"eth0\"" }.joined(separator: ", ")) })"
                )
                return nil
            }
            return [:]
        }
        var result: [String: String] = [:]
        if let name = value.string {
            guard Self.isInterfaceName(name) else {
                report(
                    .invalidValue, value.line,
                    "\(Self.subject("interface", place)) is '\(name)', not an interface name (1 to 15 characters, no '/', ':' or spaces)"
                )
                return nil
            }
            for node in nodes { result[node] = name }
        } else if let perNode = value.table {
            var valid = true
            for entry in perNode.entries {
                guard nodes.contains(entry.key) else {
                    report(
                        .unknownNode, entry.value.line,
                        "'\(entry.key)' in \(Self.subject("interface", place)) is not a node of this group ("
                            + nodes.map { "'\($0)'" }.joined(separator: ", ") + ")")
                    valid = false
                    continue
                }
                guard let name = entry.value.string, Self.isInterfaceName(name) else {
                    report(
                        .invalidValue, entry.value.line,
                        "the interface of '\(entry.key)' in \(Self.subject("interface", place)) must be an interface name like \"eth0\""
                    )
                    valid = false
                    continue
                }
                result[entry.key] = name
            }
            for node in nodes where result[node] == nil && valid {
                report(
                    .missingKey, value.line, "\(Self.subject("interface", place)) names no interface for node '\(node)'"
                )
                valid = false
            }
            guard valid else { return nil }
        } else {
            report(
                .wrongType, value.line,
                "\(Self.subject("interface", place)) must be an interface name like \"eth0\", or a table like { alpha = \"eth0\", beta = \"ens3\" }, not \(value.typeDescription)"
            )
            return nil
        }
        if !needed {
            report(
                .invalidValue, value.line,
                "\(Self.subject("interface", place)) is set but there is no 'service_address' to put on it")
            return nil
        }
        return result
    }

    /// Linux: at most 15 bytes (IFNAMSIZ − 1), no '/', ':' or white space.
    static func isInterfaceName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 15 && name != "." && name != ".."
            && !name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace })
    }
}
