#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore

/// The network: the ports this node listens on, each peer on every link, the service addresses.
extension Doctor {
    func ports() -> [DoctorFinding] {
        var listeners: [(what: String, host: String, port: Int, udp: Bool, key: String)] = [
            ("the mirror", node.address.host, node.address.port, false, "nodes.\(node.name).address")
        ]
        if let console = configuration.consoleAddress(of: node.name) {
            listeners.append(("the console", console.host, console.port, false, "console listen"))
        }
        if !configuration.heartbeatPeers(of: node.name).isEmpty {
            for link in node.links {
                listeners.append(
                    (
                        "heartbeats on link \(link.name)", link.address, configuration.heartbeat.port, true,
                        "nodes.\(node.name).links.\(link.name)"
                    ))
            }
        }
        if daemonRunning {
            let list = listeners.map { "\($0.what) (\(Self.endpoint($0.host, $0.port)))" }.joined(separator: ", ")
            return [DoctorFinding("port", .ok, "the running daemon holds \(list)")]
        }
        return listeners.map { listener in
            let endpoint = Self.endpoint(listener.host, listener.port) + (listener.udp ? "/udp" : "/tcp")
            switch machine.bindProblem(host: listener.host, port: listener.port, udp: listener.udp) {
            case nil:
                return DoctorFinding("port", .ok, "\(endpoint) is free for \(listener.what)")
            case EADDRINUSE:
                return DoctorFinding(
                    "port", .problem, "\(endpoint), for \(listener.what), is taken by another program",
                    remedy:
                        "`ss -\(listener.udp ? "u" : "t")lnp 'sport = :\(listener.port)'` names it; stop it, or change \(listener.key)"
                )
            case EADDRNOTAVAIL:
                return DoctorFinding(
                    "port", .problem, "\(listener.host), for \(listener.what), is not an address of this machine",
                    remedy: "fix \(listener.key), or run doctor with --node for the node this machine is")
            case let errno?:
                return DoctorFinding(
                    "port", .problem,
                    "\(endpoint), for \(listener.what), cannot be bound: \(String(cString: strerror(errno)))",
                    remedy: "run understudy as root")
            }
        }
    }

    func peers() -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        for name in configuration.peers(of: node.name) {
            guard let peer = configuration.nodes[name] else { continue }
            let mirror = Self.endpoint(peer.address.host, peer.address.port)
            switch machine.connect(host: peer.address.host, port: peer.address.port, from: nil, timeout: connectTimeout)
            {
            case .connected:
                findings.append(DoctorFinding("peer", .ok, "\(name)'s mirror (\(mirror)) answers"))
            case .refused:
                findings.append(
                    DoctorFinding(
                        "peer", .warning,
                        "\(name) (\(peer.address.host)) is reachable, but nothing listens on \(mirror)",
                        remedy: "start understudy on \(name) (systemctl enable --now understudy)"))
            case .noAnswer:
                findings.append(
                    DoctorFinding(
                        "peer", .problem, "no answer from \(name) at \(mirror) within \(Self.seconds(connectTimeout))",
                        remedy:
                            "check nodes.\(name).address, the route, and that a firewall lets TCP \(peer.address.port) through"
                    ))
            case .failed(let reason):
                findings.append(
                    DoctorFinding(
                        "peer", .problem, "\(name) at \(mirror) cannot be reached: \(reason)",
                        remedy: "check nodes.\(name).address and this machine's routes"))
            }
            for (local, remote) in node.commonLinks(with: peer) {
                let outcome = machine.connect(
                    host: remote.address, port: peer.address.port, from: local.address, timeout: connectTimeout)
                let path = "link \(local.name): \(remote.address) from \(local.address)"
                switch outcome {
                case .connected, .refused:
                    findings.append(DoctorFinding("peer", .ok, "\(name) answers on \(path)"))
                case .noAnswer:
                    findings.append(
                        DoctorFinding(
                            "peer", .problem, "no answer from \(name) on \(path): its heartbeats would be lost",
                            remedy:
                                "check the link's cable and addresses, and that a firewall lets UDP \(configuration.heartbeat.port) through"
                        ))
                case .failed(let reason):
                    findings.append(
                        DoctorFinding(
                            "peer", .problem, "\(name) cannot be reached on \(path): \(reason)",
                            remedy:
                                "check nodes.\(node.name).links.\(local.name) and nodes.\(name).links.\(remote.name)"))
                }
            }
        }
        return findings
    }

    func serviceAddresses() -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        let interfaces = machine.interfaceAddresses()
        for group in groups {
            guard let address = group.takeover.serviceAddress else { continue }
            guard let interface = group.takeover.interfaces[node.name] else { continue }
            guard let held = interfaces[interface] else {
                findings.append(
                    DoctorFinding(
                        "service address", .problem,
                        "\(group.name): interface \(interface) does not exist on this machine",
                        remedy:
                            "set `interface` of [groups.\(group.name)] to one of \(interfaces.keys.sorted().joined(separator: ", "))"
                    ))
                continue
            }
            let bare = address.address
            if held.contains(bare) || interfaces.values.contains(where: { $0.contains(bare) }) {
                findings.append(
                    daemonRunning
                        ? DoctorFinding(
                            "service address", .ok, "\(group.name): \(bare) is held here by the running daemon")
                        : DoctorFinding(
                            "service address", .warning,
                            "\(group.name): \(bare) is already on this machine, with no understudy running",
                            remedy:
                                "remove it from the static network configuration: understudy adds it on the node that holds the group"
                        ))
                continue
            }
            let port =
                group.takeover.checks.compactMap { check -> Int? in
                    if case .tcp(let target) = check.probe, target.host == bare { return target.port }
                    return nil
                }.first ?? 22
            switch machine.connect(host: bare, port: port, from: nil, timeout: 1) {
            case .connected, .refused:
                findings.append(
                    DoctorFinding(
                        "service address", daemonRunning ? .ok : .warning,
                        "\(group.name): \(bare) answers from another machine\(daemonRunning ? " (the node that holds the group)" : "")",
                        remedy: daemonRunning
                            ? nil
                            : "if no understudy holds it there, remove it from that machine's static network configuration"
                    ))
            case .noAnswer, .failed:
                findings.append(
                    DoctorFinding(
                        "service address", .ok, "\(group.name): \(bare) is free (no answer), on \(interface) here"))
            }
        }
        return findings
    }

    static func endpoint(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
