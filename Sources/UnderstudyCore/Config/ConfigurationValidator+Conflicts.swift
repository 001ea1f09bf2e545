/// Rules across nodes and groups. Two nodes "run on one machine" when their address hosts name the
/// same machine (`PeerAddress.machineKey`: equal ignoring case, or both loopback); such nodes must
/// not share an address, a state directory or a control socket, and no two directories written on
/// one machine (replicas, state) may overlap. Each problem is reported at the later definition and
/// names the earlier one's line.
extension ConfigurationValidator {
    mutating func checkConflicts(nodes: [NodeDraft], groups: [GroupDraft]) {
        checkAddresses(nodes)
        checkNodeDirectories(nodes)
        checkShareDirectories(nodes: nodes, groups: groups)
        checkConfigFiles(groups: groups)
    }

    /// A tracked configuration file belongs to one group on each node: two groups that share a node and track the
    /// same path would overwrite each other's at a takeover (and the one's primary record the other's as its own);
    /// nor may it lie in a share's tree, which the mirror writes.
    private mutating func checkConfigFiles(groups: [GroupDraft]) {
        var seen: [(group: GroupDraft, nodes: Set<String>)] = []
        for group in groups {
            guard let files = group.proof?.configFiles, !files.isEmpty else { continue }
            let nodes = Set([group.primary, group.standby, group.offsite.flatMap { $0 }].compactMap { $0 })
            for share in group.shares {
                for tree in Set([share.source, share.replica].compactMap({ $0 })).sorted() {
                    for path in files where ConfigPath.overlap(path, tree) {
                        report(
                            .conflict, group.line,
                            "config_files of group '\(group.name)' lists '\(path)', which overlaps '\(tree)' of \(share.title): the mirror writes that tree; track configuration outside the shares"
                        )
                    }
                }
            }
            for earlier in seen where !earlier.nodes.isDisjoint(with: nodes) {
                for path in files where earlier.group.proof?.configFiles.contains(path) == true {
                    report(
                        .conflict, group.line,
                        "groups '\(earlier.group.name)' (line \(earlier.group.line)) and '\(group.name)' both track '\(path)' and share node \(earlier.nodes.intersection(nodes).sorted().joined(separator: ", ")): a takeover of one would overwrite the other's; track it in one group"
                    )
                }
            }
            seen.append((group, nodes))
        }
    }

    private mutating func checkAddresses(_ nodes: [NodeDraft]) {
        var firstByAddress: [String: NodeDraft] = [:]
        for node in nodes {
            guard let address = node.address else { continue }
            let key = "\(address.machineKey) \(address.port)"
            if let first = firstByAddress[key] {
                report(
                    .conflict, node.addressLine,
                    "address '\(address)' of node '\(node.name)' is the same as the address '\(first.address!)' of node '\(first.name)' (line \(first.addressLine)); each node needs its own host:port"
                )
            } else {
                firstByAddress[key] = node
            }
        }
    }

    private mutating func checkNodeDirectories(_ nodes: [NodeDraft]) {
        for (index, node) in nodes.enumerated() {
            guard let address = node.address else { continue }
            for earlier in nodes[..<index] where earlier.address?.machineKey == address.machineKey {
                if let directory = node.stateDirectory, let other = earlier.stateDirectory,
                    ConfigPath.overlap(directory, other)
                {
                    report(
                        .conflict, node.stateDirectoryLine,
                        "state_dir '\(directory)'\(node.stateDirectoryIsDefault ? " (the default)" : "") of node '\(node.name)' overlaps the state_dir '\(other)' of node '\(earlier.name)' (line \(earlier.stateDirectoryLine)); nodes on one machine (\(address.host)) need separate state directories"
                    )
                }
                // Two default sockets collide only when the state directories do, reported above.
                if node.controlSocketIsDefault && earlier.controlSocketIsDefault { continue }
                if let socket = node.controlSocket, socket == earlier.controlSocket {
                    report(
                        .conflict, node.controlSocketLine,
                        "control_socket '\(socket)' of node '\(node.name)' is also the control socket of node '\(earlier.name)' (line \(earlier.controlSocketLine)); nodes on one machine (\(address.host)) need separate control sockets"
                    )
                }
            }
        }
    }

    /// A directory that a standby writes: a share's replica.
    private struct ReplicaUse {
        var machineKey: String
        var path: String
        var line: Int
        var description: String
    }

    private mutating func checkShareDirectories(nodes: [NodeDraft], groups: [GroupDraft]) {
        let nodesByName = Dictionary(nodes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var replicas: [ReplicaUse] = []
        for group in groups {
            // An agentless group's primary is no node (its own overlaps are checked with its table); its replicas are
            // on its standby like any.
            let primary = group.primary.flatMap { nodesByName[$0] }
            guard primary != nil || group.agentless == true,
                let standby = group.standby.flatMap({ nodesByName[$0] }), let standbyAddress = standby.address
            else { continue }
            let oneMachine = primary?.address?.machineKey == standbyAddress.machineKey
            for share in group.shares {
                guard let replica = share.replica else { continue }
                if oneMachine, let primary, let source = share.source, ConfigPath.overlap(source, replica) {
                    let what =
                        share.replicaIsDefault
                        ? "\(share.title) in group '\(group.name)' has no 'replica', so it would be mirrored onto its own source '\(source)'"
                        : "replica '\(replica)' of \(share.title) in group '\(group.name)' overlaps its source '\(source)'"
                    report(
                        .conflict, share.replicaLine,
                        "\(what); primary '\(primary.name)' and standby '\(standby.name)' run on one machine (\(standbyAddress.host)), so the replica must lie outside the source"
                    )
                }
                let use = ReplicaUse(
                    machineKey: standbyAddress.machineKey,
                    path: replica,
                    line: share.replicaLine,
                    description: "replica '\(replica)' of \(share.title) in group '\(group.name)'"
                )
                for earlier in replicas
                where earlier.machineKey == use.machineKey && ConfigPath.overlap(earlier.path, use.path) {
                    report(
                        .conflict, use.line,
                        "\(use.description) overlaps the \(earlier.description) (line \(earlier.line)); both are written on standby machine \(standbyAddress.host)"
                    )
                }
                for node in nodes where node.address?.machineKey == use.machineKey {
                    if let stateDirectory = node.stateDirectory, ConfigPath.overlap(stateDirectory, use.path) {
                        report(
                            .conflict, use.line,
                            "\(use.description) overlaps the state_dir '\(stateDirectory)' of node '\(node.name)' (line \(node.stateDirectoryLine)) on machine \(standbyAddress.host)"
                        )
                    }
                }
                replicas.append(use)
            }
        }
        // An agentless group's sources are mounts on its standby: no replica of another group may lie in one.
        for group in groups where group.agentless == true {
            guard let standby = group.standby.flatMap({ nodesByName[$0] }), let machine = standby.address?.machineKey
            else { continue }
            for share in group.shares {
                guard let source = share.source else { continue }
                for use in replicas
                where use.machineKey == machine && !use.description.hasSuffix("in group '\(group.name)'")
                    && ConfigPath.overlap(source, use.path)
                {
                    report(
                        .conflict, use.line,
                        "\(use.description) overlaps the source '\(source)' of \(share.title) in agentless group '\(group.name)' (line \(share.sourceLine)), the mount of its primary's share on the same machine"
                    )
                }
            }
        }
    }
}
