#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore

/// Change capture: the trees this node may serve (its sources; a standby's replicas after a takeover) watched by
/// fanotify, or by inotify within its limit of watches.
extension Doctor {
    func changeCapture() -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        var inotifyTrees: [String] = []
        for group in groups {
            for share in group.shares {
                let serving = group.primary == node.name
                let tree = serving ? share.source : share.replica
                guard machine.fileMode(tree) != nil else {
                    if serving {
                        findings.append(
                            DoctorFinding(
                                "change capture", .problem,
                                "\(group.name)/\(share.name): the source \(tree) does not exist",
                                remedy: "create it, or fix `source` in the share's table"))
                    }
                    // A replica that does not exist yet is made by the first sync.
                    continue
                }
                if node.changeCapture != .inotify {
                    let problem = machine.fanotifyProblem(on: tree)
                    if problem == 0 {
                        findings.append(
                            DoctorFinding(
                                "change capture", .ok,
                                "\(group.name)/\(share.name): fanotify watches \(tree)'s file system"))
                        continue
                    }
                    let reason = String(cString: strerror(problem))
                    if node.changeCapture == .fanotify {
                        findings.append(
                            DoctorFinding(
                                "change capture", .problem,
                                "\(group.name)/\(share.name): fanotify cannot watch \(tree) (\(reason)) and change_capture = \"fanotify\" allows nothing else",
                                remedy: "use Linux 5.17 or later as root, or set change_capture = \"auto\""))
                        continue
                    }
                    findings.append(
                        DoctorFinding(
                            "change capture", .ok,
                            "\(group.name)/\(share.name): fanotify cannot watch \(tree) (\(reason)); inotify watches it"
                        ))
                }
                inotifyTrees.append(tree)
            }
        }
        return findings + inotifyLimit(inotifyTrees)
    }

    /// The directories of every tree inotify watches, against the limit of watches per user.
    func inotifyLimit(_ trees: [String]) -> [DoctorFinding] {
        guard !trees.isEmpty else { return [] }
        guard let limit = machine.inotifyWatchLimit() else {
            return [DoctorFinding("change capture", .skipped, "inotify's limit of watches cannot be read")]
        }
        var total = 0
        for tree in trees {
            guard let count = machine.directories(under: tree, countingUpTo: limit + 1 - min(total, limit)) else {
                return [DoctorFinding("change capture", .skipped, "\(tree) cannot be read to count its directories")]
            }
            total += count
            if total > limit { break }
        }
        // Room for the trees to grow, and for other programs' watches.
        let wanted = max(8192, total * 2)
        let remedy =
            "echo fs.inotify.max_user_watches=\(wanted) > /etc/sysctl.d/60-understudy.conf && sysctl --system"
        if total > limit {
            return [
                DoctorFinding(
                    "change capture", .problem,
                    "inotify needs a watch for each of more than \(limit) directories, and fs.inotify.max_user_watches is \(limit)",
                    remedy: remedy)
            ]
        }
        if total * 10 > limit * 8 {
            return [
                DoctorFinding(
                    "change capture", .warning,
                    "inotify watches \(total) directories, close to fs.inotify.max_user_watches = \(limit)",
                    remedy: remedy)
            ]
        }
        return [
            DoctorFinding(
                "change capture", .ok, "inotify: \(total) directories to watch, fs.inotify.max_user_watches = \(limit)")
        ]
    }
}
