import UnderstudyCore

/// The standby of an agentless group reads its primary's shares through mounts: each `source` must be one, of a
/// network file system; an empty mount point would be scanned as an empty share (the daemon refuses to).
extension Doctor {
    func agentlessMounts() -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        for group in groups where group.agentless && group.standby == node.name {
            for share in group.shares {
                let place = "\(group.name)/\(share.name)"
                guard let mount = machine.mount(containing: share.source) else {
                    findings.append(
                        DoctorFinding(
                            "mount", .problem, "\(place): the source \(share.source) does not exist",
                            remedy: "mount \(group.primary)'s share there (NFS, SMB or sshfs), and at boot (/etc/fstab)"
                        ))
                    continue
                }
                if mount.isNetworkFileSystem {
                    findings.append(
                        DoctorFinding(
                            "mount", .ok, "\(place): \(share.source) is on \(mount.type) \(mount.source)"))
                } else {
                    findings.append(
                        DoctorFinding(
                            "mount", .problem,
                            "\(place): \(share.source) is on \(mount.type) (\(mount.source) at \(mount.path)), not on a mount of \(group.primary)'s share: the daemon scans nothing there",
                            remedy:
                                "mount \(group.primary)'s share at \(share.source) (NFS, SMB or sshfs), and at boot (/etc/fstab)"
                        ))
                }
            }
        }
        return findings
    }
}
