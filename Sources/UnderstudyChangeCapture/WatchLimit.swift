#if canImport(Glibc)
import Glibc
#endif

/// The per-user inotify watch limit, which is shared by every watcher of the user on the machine: once reached, a
/// share can only be mirrored by periodic scans, and the administrator needs to know what to raise.
enum WatchLimit {
    static let sysctlFile = "/proc/sys/fs/inotify/max_user_watches"

    /// The current limit, or nil when it cannot be read.
    static func current() -> Int? {
        let fd = open(sysctlFile, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        return text.split(whereSeparator: { $0 == "\n" || $0 == " " }).first.flatMap { Int($0) }
    }

    /// What an administrator reads when the limit stopped a share from being watched completely.
    static func problem(watches: Int, limit: Int?) -> String {
        let shown = limit.map(String.init) ?? "unknown"
        // Doubling keeps up with a tree that already outgrew the limit; 524288 is a common distribution default.
        let suggested = max((limit ?? 0) * 2, 524_288)
        return "inotify watch limit reached after \(watches) watches (fs.inotify.max_user_watches = \(shown)); "
            + "raise it, e.g. `sysctl -w fs.inotify.max_user_watches=\(suggested)` and add it to /etc/sysctl.d/, "
            + "or the share is only mirrored by periodic scans"
    }
}
