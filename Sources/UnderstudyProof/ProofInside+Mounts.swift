#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation
import UnderstudySupport

/// Everything a proof sees besides its own layers is read-only: what it writes goes to its layers and its scratch
/// space, never to the node's files (a start step's pid file, a log outside proof_private), nor through a network file
/// system (an agentless group's sources are the primary's live directories), nor into the kernel's tunables.
extension ProofInside {
    /// One line of /proc/self/mountinfo: where, and its per-mount options.
    struct MountEntry: Equatable {
        var path: String
        var options: String
    }

    /// The kernel's own file systems: nothing of the node's data, and some cannot be remounted. /proc/sys and /sys
    /// are made read-only apart (`lockDown`); /dev stays as it is (device nodes, whose writes go to the devices).
    static let kernelTypes: Set<String> = [
        "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "mqueue", "debugfs", "tracefs", "securityfs",
        "pstore", "bpf", "configfs", "fusectl", "autofs", "binfmt_misc", "efivarfs", "nsfs", "rpc_pipefs", "nfsd",
    ]

    /// Remounts read-only every data mount but `ours` (and what lies under them, which nothing reaches), then the
    /// kernel's tunables; a problem, or nil. Fails closed: a mount table it cannot read is a problem.
    static func lockDown(except ours: Set<String>) -> String? {
        guard let mounts = dataMounts() else {
            return "cannot read /proc/self/mountinfo: the proof could not make the node's files read-only"
        }
        let hiddenUnderOurs = { (path: String) in ours.contains { path == $0 || path.hasPrefix($0 + "/") } }
        for mount in mounts where !hiddenUnderOurs(mount.path) {
            // A path that is not UTF-8 cannot be named again: refused rather than left writable.
            guard !mount.path.contains("\u{FFFD}") else {
                return "cannot make the mount \(mount.path) read-only in the proof: its path is not UTF-8"
            }
            guard understudy_remount_readonly(mount.path, mount.options) != 0 else { continue }
            // Not a mount point by that path (covered by a later mount on a parent, or deleted): nothing reaches it.
            if errno == EINVAL || errno == ENOENT { continue }
            return "cannot make \(mount.path) read-only in the proof: \(errnoText(errno))"
        }
        // The kernel's tunables are the node's, whatever the namespaces: `sysctl -w` in a step must not reach them.
        if understudy_bind_onto_itself("/proc/sys") != 0
            || understudy_remount_readonly("/proc/sys", "nosuid,nodev,noexec") != 0
        {
            return "cannot make /proc/sys read-only in the proof: \(errnoText(errno))"
        }
        if understudy_remount_readonly("/sys", "nosuid,nodev,noexec") != 0 && errno != EINVAL {
            return "cannot make /sys read-only in the proof: \(errnoText(errno))"
        }
        return nil
    }

    /// The mount points that hold data (every mount but the kernel's, and none under /proc, /sys or /dev), each once,
    /// shallowest first; nil when the mount table cannot be read.
    static func dataMounts() -> [MountEntry]? {
        guard let data = FileManager.default.contents(atPath: "/proc/self/mountinfo") else { return nil }
        return dataMounts(in: String(decoding: data, as: UTF8.self))
    }

    static func dataMounts(in mountinfo: String) -> [MountEntry] {
        var seen = Set<String>()
        return mountinfo.split(separator: "\n").compactMap { line -> MountEntry? in
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count, fields.count > 5 else { return nil }
            guard !kernelTypes.contains(String(fields[dash + 1])) else { return nil }
            // mountinfo escapes spaces, tabs, newlines and backslashes as octal; backslashes last.
            var path = String(fields[4])
            for (escaped, plain) in [("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")] {
                path = path.replacingOccurrences(of: escaped, with: plain)
            }
            let kernel = ["/proc", "/sys", "/dev"].contains { path == $0 || path.hasPrefix($0 + "/") }
            guard !kernel, seen.insert(path).inserted else { return nil }
            return MountEntry(path: path, options: String(fields[5]))
        }.sorted { $0.path.split(separator: "/").count < $1.path.split(separator: "/").count }
    }
}
