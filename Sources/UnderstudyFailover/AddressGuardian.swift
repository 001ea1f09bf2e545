#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation
import Logging
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudyReplication
import UnderstudySupport

/// Makes the service address die with the daemon that holds it (DESIGN rule 4): a small process of the same binary
/// (`understudy guard`) that the daemon starts and tells, over a socket, which addresses it holds. When the daemon ends —
/// a clean stop, a crash, kill -9 — the socket reaches end of file, and the guardian removes those addresses at once:
/// far sooner than the peer can take over, so the LAN never sees two holders. Without it an address stays on its
/// interface after the daemon died, and keepalived's flaw would be ours.
///
/// The guardian ignores the signals that stop a daemon (a SIGTERM to the whole service, a Ctrl-C), so it outlives
/// the daemon long enough to clean up. Should it die itself, it is started again and told again. The kernel lifetime
/// the daemon renews (`AddressLease`) covers the case where both are killed at once.
package final class AddressGuardian: Sendable {
    private struct State {
        var pid: pid_t = 0
        var writer: Int32 = -1
        /// What the guardian must remove when the daemon goes: "INTERFACE ADDRESS/PREFIX".
        var held: Set<String> = []
    }

    let executable: String
    let logger: Logger
    /// The state directory's lock, passed to the guardian (held until it exits): a daemon of this node started again
    /// at once waits until the old guardian has removed what it held, and cannot race it.
    let lockDescriptor: Int32?
    private let state = NIOLockedValueBox(State())

    init(executable: String, logger: Logger, lockDescriptor: Int32? = nil) {
        self.executable = executable
        self.logger = logger
        self.lockDescriptor = lockDescriptor
    }

    /// Starts a new guardian (told what is held) if the one running has died.
    func ensureRunning() {
        let dead = state.withLockedValue { state -> Bool in
            guard state.pid > 0 else { return !state.held.isEmpty }
            var status: Int32 = 0
            return waitpid(state.pid, &status, WNOHANG) == state.pid
        }
        guard dead else { return }
        logger.warning("the address guardian died; starting another")
        state.withLockedValue { state in
            if state.writer >= 0 { close(state.writer) }
            state.writer = -1
            state.pid = 0
        }
        if let any = state.withLockedValue({ $0.held.first }) {
            let words = any.split(separator: " ")
            if words.count == 2, let address = try? ServiceAddress.parse(String(words[1])) {
                hold(address, interface: String(words[0]))
            }
        }
    }

    /// The understudy binary this process runs (the guardian is the same program).
    package static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    func hold(_ address: ServiceAddress, interface: String) {
        send("hold", "\(interface) \(address)")
    }

    func drop(_ address: ServiceAddress, interface: String) {
        send("drop", "\(interface) \(address)")
    }

    /// Ends the guardian: it removes what it still holds and exits (what the daemon's end does anyway).
    func stop() {
        let (writer, pid) = state.withLockedValue { state -> (Int32, pid_t) in
            defer {
                state.writer = -1
                state.pid = 0
            }
            return (state.writer, state.pid)
        }
        if writer >= 0 { close(writer) }
        if pid > 0 { Self.reap(pid, waitingAtMost: 2) }
    }

    private func send(_ verb: String, _ item: String) {
        state.withLockedValue { state in
            if verb == "hold" { state.held.insert(item) } else { state.held.remove(item) }
            if state.writer >= 0, Self.write("\(verb) \(item)\n", to: state.writer) { return }
            // Not started yet, or it died (the write failed): start one, and tell it everything held.
            if state.writer >= 0 { close(state.writer) }
            if state.pid > 0 { Self.reap(state.pid, waitingAtMost: 0) }
            state.writer = -1
            state.pid = 0
            guard !state.held.isEmpty || verb == "hold" else { return }
            do {
                (state.pid, state.writer) = try spawn()
                for held in state.held.sorted() where !Self.write("hold \(held)\n", to: state.writer) {
                    logger.error(
                        "the address guardian (pid \(state.pid)) does not take orders; the address would outlive this daemon until its kernel lifetime runs out"
                    )
                    break
                }
            } catch {
                logger.error(
                    "cannot start the address guardian (\(executable) guard): \(error); the service address would outlive this daemon until its kernel lifetime runs out"
                )
            }
        }
    }

    private func spawn() throws -> (pid_t, Int32) {
        // A socket pair rather than a pipe: a write to a guardian that died fails with EPIPE (MSG_NOSIGNAL), never with
        // a SIGPIPE that would end a process that did not ignore it. Neither end may reach the scripts this daemon runs:
        // a copy of this end would keep the guardian waiting.
        var ends: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw NodeError(.systemCall, "cannot start the address guardian: socketpair: \(errnoText(errno))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[0], 0)
        if let lockDescriptor { posix_spawn_file_actions_adddup2(&actions, lockDescriptor, 3) }
        _ = understudy_spawn_closefrom(&actions, lockDescriptor == nil ? 3 : 4)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let arguments: [String] = [executable, "guard", "--daemon-pid", "\(getpid())"]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(ends[0])
        guard result == 0 else {
            close(ends[1])
            throw NodeError(.systemCall, "cannot start the address guardian: \(errnoText(result))")
        }
        logger.info("address guardian started (pid \(pid)): the service address goes when this daemon does")
        return (pid, ends[1])
    }

    private static func write(_ line: String, to fd: Int32) -> Bool {
        let bytes = Array(line.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    private static func reap(_ pid: pid_t, waitingAtMost seconds: Double) {
        var status: Int32 = 0
        let deadline = MonotonicClock.seconds() + seconds
        while waitpid(pid, &status, WNOHANG) == 0 {
            guard MonotonicClock.seconds() < deadline else { return }
            usleep(10_000)
        }
    }
}
