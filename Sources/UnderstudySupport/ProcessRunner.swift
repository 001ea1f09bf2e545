// Runs hook commands: fence commands, start/stop scripts, `command` checks, command notifications.
//
// Why posix_spawn and a thread of our own, not Foundation's Process: a hook must run in a process group of
// its own so a timeout can end the script *and* everything it started (Process cannot set the group), it
// must start with default signal dispositions and an empty mask whatever the daemon ignores (SIGPIPE), and
// its output must be captured with a limit while the clock runs. Each run gets a dedicated thread that
// polls the pipe and reaps the child, so waiting for a 30-second fence never occupies one of the two
// threads of Swift's cooperative pool that the connections need.
//
// Output is captured until the shell exits. A daemon that a start script leaves running in the background
// should send its output elsewhere: once the shell is gone the pipe is closed, and its later writes fail.

#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation

public enum ProcessRunner {
    /// How long the process group has after SIGTERM before SIGKILL.
    public static let killGrace = 2.0

    /// Runs `commandLine` with `/bin/sh -c`, the daemon's environment plus `environment`, stdin from
    /// /dev/null, stdout and stderr captured together (the first `outputLimit` bytes). Never throws:
    /// a failure to start is an outcome too.
    public static func run(
        _ commandLine: String, environment: [String: String] = [:], timeout: Double,
        outputLimit: Int = 64 * 1024
    ) async -> ProcessOutcome {
        await run(
            executable: "/bin/sh", arguments: ["-c", commandLine], environment: environment,
            timeout: timeout, outputLimit: outputLimit)
    }

    /// Runs a program directly, without a shell; `arguments` exclude argv[0].
    /// - Parameter started: told the child's pid (its process group's id) once it runs, e.g. to end it early.
    public static func run(
        executable: String, arguments: [String], environment: [String: String] = [:],
        timeout: Double, outputLimit: Int = 64 * 1024, started: (@Sendable (pid_t) -> Void)? = nil
    ) async -> ProcessOutcome {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                let outcome = runBlocking(
                    executable: executable, arguments: arguments, environment: environment,
                    timeout: timeout, outputLimit: max(0, outputLimit), started: started)
                continuation.resume(returning: outcome)
            }
            thread.name = "understudy-process"
            thread.start()
        }
    }

    /// `run` on the calling thread, for callers that are threads of their own (and the tests' helpers).
    static func runBlocking(
        executable: String, arguments: [String], environment: [String: String],
        timeout: Double, outputLimit: Int, started: (@Sendable (pid_t) -> Void)? = nil
    ) -> ProcessOutcome {
        let start = monotonicNow()
        func notStarted(_ reason: String) -> ProcessOutcome {
            ProcessOutcome(
                termination: .notStarted(reason), timedOut: false, output: "", outputTruncated: false,
                duration: monotonicNow() - start, timeout: timeout)
        }

        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            return notStarted("could not create a pipe for its output: \(String(cString: strerror(errno)))")
        }
        // pipe2 is not visible from Swift's Glibc; a process spawned by another thread in between may inherit
        // the write end, which only delays end-of-file, and the child's exit is noticed without it.
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        let readEnd = ends[0]
        defer { close(readEnd) }

        var pid: pid_t = 0
        let spawnError = spawn(
            executable: executable, arguments: arguments, environment: environment,
            output: ends[1], pid: &pid)
        close(ends[1])
        if spawnError != 0 {
            return notStarted("\(executable): \(String(cString: strerror(spawnError)))")
        }
        started?(pid)

        var capture = OutputCapture(limit: outputLimit)
        let (status, timedOut) = superviseChild(
            pid, output: readEnd, capture: &capture,
            deadline: start + timeout)
        let termination: ProcessOutcome.Termination =
            (status & 0x7f) == 0
            ? .exited((status >> 8) & 0xff)
            : .signaled(status & 0x7f)
        return ProcessOutcome(
            termination: termination, timedOut: timedOut, output: capture.text,
            outputTruncated: capture.truncated, duration: monotonicNow() - start, timeout: timeout)
    }

    /// Starts the child in a new process group (its pid is the group id) with stdin /dev/null and both
    /// output streams on `output`. Returns 0 or an errno; glibc reports a failed exec here too.
    static func spawn(
        executable: String, arguments: [String], environment: [String: String],
        output: Int32, pid: inout pid_t
    ) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        // Nothing else of the daemon's: a service started by a script outlives the daemon, and must not keep its
        // listening sockets (peer port, control socket) or database open — a restarted daemon could not listen.
        _ = understudy_spawn_closefrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        // Dispositions the daemon set to "ignore" (SIGPIPE) would otherwise survive exec.
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { _, new in new }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        return posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    }

    /// Reads output and reaps the child; at the deadline sends SIGTERM to the group, SIGKILL `killGrace`
    /// later. Returns the wait status and whether the timeout fired.
    private static func superviseChild(
        _ pid: pid_t, output: Int32, capture: inout OutputCapture,
        deadline: Double
    ) -> (status: Int32, timedOut: Bool) {
        var status: Int32 = 0
        var reaped = false
        var pipeOpen = true
        var timedOut = false
        var killAt: Double?
        var killed = false
        var idleTick = 0.001
        while true {
            if !reaped {
                let result = waitpid(pid, &status, WNOHANG)
                if result == pid || (result < 0 && errno == ECHILD) { reaped = true }
            }
            let now = monotonicNow()
            if !reaped && !timedOut && now >= deadline {
                timedOut = true
                kill(-pid, SIGTERM)
                killAt = now + killGrace
            }
            if let killAt, !killed, now >= killAt {
                kill(-pid, SIGKILL)
                killed = true
            }
            if reaped {
                // After a timeout, what the script started gets the same grace before SIGKILL; a script that
                // ended by itself may leave daemons running on purpose (a start script).
                let stragglers = timedOut && !killed && groupHasLiveMembers(pid)
                if !stragglers { break }
            }
            // The pipe usually closes as the shell exits; a background process holding it open must not keep
            // us from noticing the exit, hence the bounded wait and the waitpid above on every turn.
            let wake = !timedOut ? deadline : (killed ? Double.infinity : killAt ?? .infinity)
            let tick = max(0, min(pipeOpen ? 0.05 : idleTick, wake - now))
            if pipeOpen {
                var request = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
                if poll(&request, 1, Int32((tick * 1000).rounded(.up))) > 0 {
                    pipeOpen = readAvailable(output, into: &capture)
                }
            } else {
                usleep(UInt32(tick * 1_000_000))
                idleTick = min(idleTick * 2, 0.05)
            }
        }
        if pipeOpen {
            // What the shell wrote just before exiting is still in the pipe. Bounded: a background process
            // that keeps the pipe open could keep writing forever.
            _ = fcntl(output, F_SETFL, fcntl(output, F_GETFL) | O_NONBLOCK)
            var reads = 0
            while reads < 64 && readAvailable(output, into: &capture) { reads += 1 }
        }
        return (status, timedOut)
    }

    /// True while a process of the group is still running. Zombies do not count: the shell's children are
    /// reparented to init when it dies, and an init that reaps lazily would keep them in the group for seconds.
    private static func groupHasLiveMembers(_ group: pid_t) -> Bool {
        guard kill(-group, 0) == 0 else { return false }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return true }
        for entry in entries where entry.first?.isNumber == true {
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After "pid (comm)": state, ppid, pgrp.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 2, fields[2] == "\(group)", fields[0] != "Z" { return true }
        }
        return false
    }

    /// One read; false at end of file or when nothing more is available without blocking.
    private static func readAvailable(_ fd: Int32, into capture: inout OutputCapture) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            capture.append(buffer[0..<count])
            return true
        }
        return count < 0 && errno == EINTR
    }

    private static func monotonicNow() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

/// The first `limit` bytes of the output, and how many there were in all.
private struct OutputCapture {
    let limit: Int
    var bytes: [UInt8] = []
    var total = 0

    init(limit: Int) {
        self.limit = limit
    }

    mutating func append(_ chunk: ArraySlice<UInt8>) {
        total += chunk.count
        let room = limit - bytes.count
        if room > 0 { bytes.append(contentsOf: chunk.prefix(room)) }
    }

    var truncated: Bool { total > limit }

    var text: String {
        let kept = String(decoding: bytes, as: UTF8.self)
        guard truncated else { return kept }
        let separator = kept.hasSuffix("\n") || kept.isEmpty ? "" : "\n"
        return kept + separator + "[output cut: \(total) bytes written, the first \(limit) kept]"
    }
}
