#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore

/// The heartbeat sequence numbers worth remembering across a restart, in `<state_dir>/heartbeat-sequences`: the last
/// one accepted from each sender on each link (so a datagram recorded before the restart cannot be replayed after it
/// to make a dead peer look alive), and the last one sent (so this node's next start never goes below it, even if its
/// clock was set back meanwhile, which would make its peer refuse it as a replay).
///
/// Written at most once a second without fsync: a process restart loses nothing; what a power loss loses is the last
/// second, a handful of datagrams that could each be replayed once.
package final class HeartbeatSequenceStore: Sendable {
    struct Snapshot: Equatable, Sendable {
        var lastSent: UInt64 = 0
        /// "sender\u{0}link" → last accepted.
        var accepted: [String: UInt64] = [:]
    }

    /// Sequences a sender may have used after its last save and before a crash: a restart starts above them.
    static let unsavedMargin: UInt64 = 1_000_000

    let path: String

    package init(stateDirectory: String) {
        path = (stateDirectory.hasSuffix("/") ? stateDirectory : stateDirectory + "/") + "heartbeat-sequences"
    }

    func load() -> Snapshot {
        var snapshot = Snapshot()
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return snapshot }
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 2, words[0] == "sent", let value = UInt64(words[1]) {
                snapshot.lastSent = value
            } else if words.count == 4, words[0] == "accepted", let value = UInt64(words[3]) {
                snapshot.accepted[String(words[1]) + "\u{0}" + String(words[2])] = value
            }
        }
        return snapshot
    }

    func save(_ snapshot: Snapshot) {
        var text = "sent \(snapshot.lastSent)\n"
        for (key, value) in snapshot.accepted.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            text += "accepted \(parts[0]) \(parts[1]) \(value)\n"
        }
        let temporary = path + ".new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        if written == bytes.count { rename(temporary, path) } else { unlink(temporary) }
    }
}
