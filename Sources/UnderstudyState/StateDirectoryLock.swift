#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOConcurrencyHelpers
import UnderstudySupport

/// One daemon per node: `understudy run` locks `<state_dir>/daemon.lock` (flock, held until the process ends, never
/// inherited by the scripts it runs) before it touches anything. A second daemon of the same node is refused at once
/// with the first one's pid: two would apply to the same replica, remove each other's temporaries, and the one that
/// stops last would delete the other's control socket.
///
/// The file also says how the last run ended: `running PID SINCE` while a daemon runs, `stopped AT` after a clean stop.
/// A daemon that finds `running` (or no file) knows its predecessor crashed, and cleans what a crash leaves.
public final class StateDirectoryLock: Sendable {
    public let path: String
    /// How the last run of this node ended, as the file says.
    public enum PreviousRun: Sendable, Equatable {
        /// No run before: a new state directory.
        case none
        case stoppedCleanly
        /// It crashed (or was killed), or an older version without this file ran: clean up after it.
        case unknownEnd
    }

    public let previousRun: PreviousRun
    /// Nothing of a crash to clean up.
    public var previousRunStoppedCleanly: Bool { previousRun != .unknownEnd }
    /// The locked file; the address guardian keeps a copy, so the lock outlives the daemon until it has finished.
    package let descriptor: Int32
    private let released = NIOLockedValueBox(false)

    public static func fileName() -> String { "daemon.lock" }

    public init(stateDirectory: String, node: String) throws(StateDirectoryLockError) {
        let directory = stateDirectory.hasSuffix("/") ? String(stateDirectory.dropLast()) : stateDirectory
        path = directory + "/" + Self.fileName()
        var current = ""
        for component in directory.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw StateDirectoryLockError(
                    "cannot create the state directory \(directory) of node \(node): \(errnoText(errno))")
            }
        }
        let existed = access(path, F_OK) == 0
        let hadState = access(directory + "/state.sqlite", F_OK) == 0
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw StateDirectoryLockError(
                "cannot open \(path) to lock the state directory of node \(node): \(errnoText(errno))")
        }
        // A daemon that just ended leaves its address guardian a moment to remove what it held (it keeps the lock
        // until then): wait for it, a few seconds at most, when the daemon named in the file is gone.
        var waited = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK && waited < 50 {
            let holder = Self.contents(fd).split(separator: " ")
            let daemonGone =
                holder.first == "stopped"
                || (holder.count >= 2 && holder[0] == "running"
                    && Int32(holder[1]).map { kill($0, 0) != 0 && errno == ESRCH } == true)
            guard daemonGone else { break }
            usleep(100_000)
            waited += 1
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = Self.contents(fd).split(separator: " ")
            close(fd)
            if code == EWOULDBLOCK {
                let running = holder.count >= 2 && holder[0] == "running" ? Int32(holder[1]) : nil
                if running.map({ kill($0, 0) != 0 && errno == ESRCH }) ?? (holder.first == "stopped") {
                    // The daemon is gone but its address guardian still holds the lock (it removes the addresses first).
                    throw StateDirectoryLockError(
                        "node \(node)'s last daemon has ended, but a process it started (its address guardian, `understudy guard`) still holds the lock on its state directory \(directory) after 5 s. End it (pkill -f 'understudy guard'), then start again"
                    )
                }
                let pid = running.map { " (pid \($0))" } ?? ""
                throw StateDirectoryLockError(
                    "node \(node)'s daemon is already running\(pid): it holds the lock on its state directory \(directory). Stop it first (systemctl stop understudy, or kill that pid); two daemons of one node would apply to the same replica"
                )
            }
            throw StateDirectoryLockError("cannot lock \(path): \(errnoText(code))")
        }
        descriptor = fd
        if Self.contents(fd).hasPrefix("stopped") {
            previousRun = .stoppedCleanly
        } else {
            previousRun = existed || hadState ? .unknownEnd : .none
        }
        write("running \(getpid()) \(ISO8601DateFormatter().string(from: Date()))\n")
    }

    deinit { release() }

    /// A graceful stop: the next start needs no crash clean-up.
    public func markStoppedCleanly() {
        write("stopped \(ISO8601DateFormatter().string(from: Date()))\n")
    }

    /// Gives the lock up (this process's part of it: a guardian still running keeps it until it exits).
    public func release() {
        let first = released.withLockedValue { state -> Bool in
            defer { state = true }
            return !state
        }
        if first { close(descriptor) }
    }

    private func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = ftruncate(descriptor, 0)
        _ = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        _ = fsync(descriptor)
    }

    private static func contents(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
    }
}

public struct StateDirectoryLockError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
