/// `agentless = true` in `[groups.NAME]`: a primary that runs no understudy. Its shares' `source` directories are
/// mounts of the primary's directories on the standby (NFS, SMB, sshfs), scanned every `scan_interval`; `primary`
/// names the host (not a node of `[nodes]`). What needs a daemon on the primary (live capture, bandwidth limits on
/// its sends, the off-site cascade, a witness node, failing back by itself) is refused, each with the reason.
extension ConfigurationValidator {
    /// Keys of `[groups.NAME]` that an agentless group cannot use, with why.
    static let agentlessRefusedKeys: [(keys: [String], reason: String)] = [
        (
            ["quiet_delay", "max_delay"],
            "they time the live capture of changes, which needs understudy on the primary; an agentless group is scanned every scan_interval"
        ),
        (
            ["bandwidth", "bandwidth_schedule"],
            "they limit what the primary's daemon sends; an agentless group's standby reads the primary's mounts itself"
        ),
        (["compare_slice"], "an agentless group's scan compares each share whole"),
        (
            [
                "offsite", "offsite_bandwidth", "offsite_bandwidth_schedule", "offsite_compression",
                "offsite_service_address", "offsite_interface", "offsite_start", "offsite_stop",
            ],
            "an off-site copy of an agentless group is not in this version"
        ),
        (["witness"], "a witness breaks ties between two daemons; an agentless primary runs none"),
    ]

    /// The primary of an agentless group: a host name, which must not be a node of `[nodes]` (a node runs understudy).
    mutating func readAgentlessPrimary(_ name: String, line: Int, group: String, nodeNames: [String]) -> String? {
        if nodeNames.contains(name) {
            report(
                .invalidValue, line,
                "primary '\(name)' of group '\(group)' is a node of [nodes], which runs understudy, but the group is agentless (agentless = true: its primary runs none); remove agentless, or name the primary's host and remove it from [nodes]"
            )
            return nil
        }
        guard Self.isValidName(name, allowDot: true) else {
            report(.invalidName, line, "primary '\(name)' of group '\(group)' is invalid: \(Self.nameRule)")
            return nil
        }
        return name
    }

    /// The rules of an agentless group (or that `scan_interval` needs one), once its table is read.
    mutating func checkAgentless(_ table: TOMLTable, _ group: inout GroupDraft, place: String) {
        guard group.agentless == true else {
            if let value = table["scan_interval"] {
                report(
                    .invalidValue, value.line,
                    "\(Self.subject("scan_interval", place)) is for a group whose primary runs no understudy (agentless = true); this group's standby compares whole trees every resync_interval"
                )
            }
            return
        }
        if let value = table["resync_interval"] {
            report(
                .invalidValue, value.line,
                "\(Self.subject("resync_interval", place)) does not apply to an agentless group, which is scanned every scan_interval (default \(GroupConfiguration.defaultScanInterval)); write scan_interval"
            )
            group.resyncInterval = nil
        } else {
            group.resyncInterval = readDuration(
                "scan_interval", table, place: place, default: GroupConfiguration.defaultScanInterval,
                range: GroupConfiguration.minimumResyncInterval...GroupConfiguration.maximumInterval)
        }
        if let value = table["live"], group.live == true {
            report(
                .invalidValue, value.line,
                "\(Self.subject("live", place)) is true, but following changes live needs understudy on the primary; an agentless group's mounts are scanned every scan_interval: remove 'live'"
            )
            group.live = nil
        } else if group.live != nil {
            group.live = false
        }
        for (keys, reason) in Self.agentlessRefusedKeys {
            for key in keys {
                guard let value = table[key] else { continue }
                report(
                    .invalidValue, value.line,
                    "\(Self.subject(key, place)) is not for an agentless group (its primary runs no understudy): \(reason)"
                )
            }
        }
        checkAgentlessTakeover(table, &group, place: place)
        checkAgentlessShares(&group)
    }

    /// An agentless primary cannot give its address up: a takeover by itself needs a fence and checks, and the
    /// failover is manual unless set; it cannot take the group back by itself either.
    private mutating func checkAgentlessTakeover(_ table: TOMLTable, _ group: inout GroupDraft, place: String) {
        guard var takeover = group.takeover else { return }
        if table["failover"] == nil {
            takeover.mode = .manual
        } else if takeover.mode == .auto && (takeover.fence == nil || takeover.checks.isEmpty) {
            let missing = [
                takeover.fence == nil ? "a 'fence' command that powers the primary off" : nil,
                takeover.checks.isEmpty ? "at least one check of its services ([[groups.\(group.name).checks]])" : nil,
            ].compactMap { $0 }.joined(separator: " and ")
            report(
                .invalidValue, table["failover"]?.line ?? table.line,
                "group '\(group.name)' takes over by itself (failover = \"auto\"), but its primary runs no understudy: nothing on it gives the address up or answers heartbeats, so the standby decides by the checks alone and must be sure the primary is off; add \(missing), or set failover = \"manual\""
            )
            group.takeover = nil
            return
        }
        if takeover.failback == .auto {
            report(
                .invalidValue, table["failback"]?.line ?? table.line,
                "\(Self.subject("failback", place)) is \"auto\", but handing an agentless group back needs you: copy the changes back with `understudy failback \(group.name)` once the primary is repaired; set failback = \"manual\""
            )
            group.takeover = nil
            return
        }
        group.takeover = takeover
    }

    /// The sources are mounts on the standby itself: each share needs a replica of its own, apart from every source.
    private mutating func checkAgentlessShares(_ group: inout GroupDraft) {
        let sources = group.shares.compactMap { share in share.source.map { ($0, share) } }
        for index in group.shares.indices {
            let share = group.shares[index]
            guard let replica = share.replica else { continue }
            if share.replicaIsDefault {
                report(
                    .missingKey, share.line,
                    "\(share.title) of agentless group '\(group.name)' needs a 'replica': its source is the mount of the primary's directory on the standby itself, so the replica must be another directory there"
                )
                group.shares[index].replica = nil
                group.sharesAreValid = false
                continue
            }
            for (source, owner) in sources where Self.overlaps(replica, source) {
                report(
                    .conflict, share.replicaLine,
                    "replica '\(replica)' of \(share.title) in agentless group '\(group.name)' overlaps the source '\(source)' of \(owner.title), which is on the same machine (the standby mounts it); give the replica a directory outside every source"
                )
                group.shares[index].replica = nil
                group.sharesAreValid = false
                break
            }
        }
    }

    /// Whether one path is the other or lies inside it.
    static func overlaps(_ first: String, _ second: String) -> Bool {
        func inside(_ path: String, _ directory: String) -> Bool {
            path == directory || path.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/")
        }
        return inside(first, second) || inside(second, first)
    }
}
