import UnderstudyCore

/// The checks of the machine itself: capabilities, the state directory, the certificates, the clock, disk room.
extension Doctor {
    /// Capability numbers (linux/capability.h) the daemon uses, with what each is for.
    static let fileCapabilities: [(bit: Int, name: String)] = [
        (0, "CAP_CHOWN"), (1, "CAP_DAC_OVERRIDE"), (2, "CAP_DAC_READ_SEARCH"), (3, "CAP_FOWNER"), (4, "CAP_FSETID"),
    ]
    static let networkCapabilities: [(bit: Int, name: String)] = [(12, "CAP_NET_ADMIN"), (13, "CAP_NET_RAW")]
    static let fanotifyCapability = (bit: 21, name: "CAP_SYS_ADMIN")

    func capabilities() -> [DoctorFinding] {
        guard let effective = machine.effectiveCapabilities() else {
            return [
                DoctorFinding("capabilities", .skipped, "the process's capabilities cannot be read (/proc/self/status)")
            ]
        }
        let missing = { (set: [(bit: Int, name: String)]) in
            set.filter { effective & (UInt64(1) << UInt64($0.bit)) == 0 }.map(\.name)
        }
        var findings: [DoctorFinding] = []
        let files = missing(Self.fileCapabilities)
        if !files.isEmpty {
            findings.append(
                DoctorFinding(
                    "capabilities", .problem,
                    "without \(files.joined(separator: ", ")) the daemon cannot read and write every file of the shares with its owner and mode",
                    remedy: "run understudy as root (the unit does)"))
        }
        let addresses = groups.contains { $0.takeover.serviceAddress != nil }
        let network = missing(Self.networkCapabilities)
        if addresses, !network.isEmpty {
            findings.append(
                DoctorFinding(
                    "capabilities", .problem,
                    "without \(network.joined(separator: ", ")) a takeover cannot add the service address or announce it (gratuitous ARP)",
                    remedy: "run understudy as root (the unit does)"))
        }
        if missing([Self.fanotifyCapability]).count == 1, node.changeCapture != .inotify {
            findings.append(
                DoctorFinding(
                    "capabilities", .warning,
                    "without CAP_SYS_ADMIN fanotify cannot watch the shares' file systems; inotify is used, with a watch per directory",
                    remedy: "run understudy as root"))
        }
        if findings.isEmpty {
            findings.append(DoctorFinding("capabilities", .ok, "every capability the daemon uses is held"))
        }
        return findings
    }

    func stateDirectory() -> [DoctorFinding] {
        let path = node.stateDirectory
        let free = machine.freeBytes(at: path)
        if machine.fileMode(path) == nil {
            return [DoctorFinding("state", .ok, "\(path) does not exist yet; the first start makes it")]
                + lowRoom(free, path: path, purpose: "the file index and events")
        }
        return [DoctorFinding("state", .ok, "state directory \(path)")]
            + lowRoom(free, path: path, purpose: "the file index and events")
    }

    /// A warning when fewer than 1 GiB are free where `purpose` is kept.
    func lowRoom(_ free: Int64?, path: String, purpose: String) -> [DoctorFinding] {
        guard let free, free < 1 << 30 else { return [] }
        return [
            DoctorFinding(
                "disk", .warning, "only \(Self.bytes(free)) free on the file system of \(path) (\(purpose))",
                remedy: "make room there, or move it to a larger file system")
        ]
    }

    func certificates() -> [DoctorFinding] {
        let directory = configuration.certificatesDirectory
        var files = ["ca.pem", "\(node.name).pem", "\(node.name)-key.pem"]
        let linked = configuration.heartbeatPeers(of: node.name).contains { peer in
            configuration.nodes[peer].map { !node.commonLinks(with: $0).isEmpty } ?? false
        }
        if linked { files.append("cluster.key") }
        let missing = files.filter { machine.fileMode(directory + "/" + $0) == nil }
        if !missing.isEmpty {
            return [
                DoctorFinding(
                    "certificates", .problem, "\(directory) lacks \(missing.joined(separator: ", "))",
                    remedy:
                        "run `understudy init` where the cluster's ca-key.pem is, then copy ca.pem, \(node.name).pem, \(node.name)-key.pem\(linked ? " and cluster.key" : "") here"
                )
            ]
        }
        let secrets = files.filter { $0.hasSuffix("-key.pem") || $0 == "cluster.key" }
        let open = secrets.filter { (machine.fileMode(directory + "/" + $0) ?? 0) & 0o077 != 0 }
        if !open.isEmpty {
            return [
                DoctorFinding(
                    "certificates", .warning, "\(open.joined(separator: ", ")) in \(directory) can be read by others",
                    remedy: "chmod 600 \(open.map { directory + "/" + $0 }.joined(separator: " "))")
            ]
        }
        return [DoctorFinding("certificates", .ok, "\(files.joined(separator: ", ")) in \(directory)")]
    }

    func clock() -> [DoctorFinding] {
        guard let state = machine.clockSynchronization() else {
            return [DoctorFinding("clock", .skipped, "the kernel does not say whether the clock is synchronized")]
        }
        let why =
            "archives, file history and a rejoin's newer-wins rule compare times taken on different nodes"
        if !state.synchronized {
            return [
                DoctorFinding(
                    "clock", .warning, "the clock is not synchronized (NTP): \(why)",
                    remedy: "run an NTP client on every node (apt install chrony, or systemd-timesyncd)")
            ]
        }
        if state.maximumErrorSeconds > 1 {
            return [
                DoctorFinding(
                    "clock", .warning,
                    "the clock is synchronized, but its estimated error is \(Self.seconds(state.maximumErrorSeconds)): \(why)",
                    remedy: "check the NTP client's servers (chronyc sources)")
            ]
        }
        return [
            DoctorFinding(
                "clock", .ok,
                "synchronized (estimated error \(Self.seconds(state.maximumErrorSeconds))); run doctor on the peers to check theirs"
            )
        ]
    }

    func diskRoom() -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        for group in groups where group.standby == node.name {
            for share in group.shares {
                let purpose = group.archives.isEmpty ? "the replica" : "the replica and its archives"
                findings += lowRoom(machine.freeBytes(at: share.replica), path: share.replica, purpose: purpose)
            }
        }
        return findings
    }

    static func bytes(_ count: Int64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) bytes" : "\(Double(Int(value * 10)) / 10) \(units[unit])"
    }

    static func seconds(_ value: Double) -> String {
        value < 1 ? "\(Int(value * 1000)) ms" : "\(Double(Int(value * 10)) / 10) s"
    }
}
