#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudySupport

/// Starts `understudy proof-run PLAN` in new mount, network, PID, IPC and UTS namespaces, through util-linux's
/// `unshare` (Debian's essential package): `--fork` makes the proof PID 1 of its PID namespace, `--kill-child` ends it
/// with `unshare`, `--mount-proc` gives it a /proc of its own, and `setpriv --pdeathsig KILL` ends `unshare` with the
/// daemon's thread that waits for it (a daemon killed mid-proof takes its proof along). Waits for it with a limit,
/// ends it early when the task is cancelled or `keepGoing` says so, and reads its outcome.
package struct ProofLauncher: Sendable {
    /// The understudy binary to run inside (the daemon's own); nil when the daemon runs inside another program.
    package var executable: String?
    package var unshare: String?
    package var setpriv: String?

    package init(executable: String?) {
        self.executable = executable
        unshare = ["/usr/bin/unshare", "/bin/unshare"].first { access($0, X_OK) == 0 }
        setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first { access($0, X_OK) == 0 }
    }

    package static let namespaces = [
        "--mount", "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child", "--mount-proc", "--propagation",
        "private",
    ]

    /// Runs the plan at `planPath`; the outcome, whose `problem` says what went wrong when nothing came back.
    /// - Parameter keepGoing: asked every 250 ms; false ends the proof at once (`stopReason` says why).
    package func run(
        planPath: String, limit: Double, keepGoing: @escaping @Sendable () -> Bool = { true },
        stopReason: String = "it was stopped"
    ) async -> ProofOutcome {
        guard let unshare else {
            return ProofOutcome(problem: "util-linux's unshare is not installed (/usr/bin/unshare): proofs need it")
        }
        guard let executable else {
            return ProofOutcome(
                problem: "this daemon runs inside another program, without the understudy binary a proof runs")
        }
        let inside = [unshare] + Self.namespaces + [executable, "proof-run", planPath]
        let command = setpriv.map { [$0, "--pdeathsig", "KILL", "--"] + inside } ?? inside
        let child = NIOLockedValueBox<(pid: pid_t, stopped: Bool)>((0, false))
        @Sendable func stop() {
            child.withLockedValue { child in
                child.stopped = true
                if child.pid > 0 { kill(-child.pid, SIGKILL) }
            }
        }
        // The watcher is a child of this call: it ends with the proof (structured, no task outlives `run`).
        let process = await withTaskGroup(of: ProcessOutcome?.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    if !Task.isCancelled && !keepGoing() { stop() }
                }
                return nil
            }
            group.addTask {
                await withTaskCancellationHandler {
                    await ProcessRunner.run(
                        executable: command[0], arguments: Array(command.dropFirst()), timeout: limit,
                        outputLimit: 1 << 20,
                        started: { pid in
                            // Stopped before it started: it ends at once.
                            let stopped = child.withLockedValue { child in
                                child.pid = pid
                                return child.stopped
                            }
                            if stopped { kill(-pid, SIGKILL) }
                        })
                } onCancel: {
                    stop()
                }
            }
            var finished: ProcessOutcome?
            while finished == nil, let next = await group.next() {
                finished = next
            }
            group.cancelAll()
            return finished!
        }
        if child.withLockedValue({ $0.stopped }) {
            var outcome = Self.outcome(of: process)
            outcome.problem =
                "the proof was ended before it finished: \(Task.isCancelled ? "the daemon stops" : stopReason)"
            return outcome
        }
        return Self.outcome(of: process)
    }

    /// The outcome `proof-run` printed, or one that says why there is none.
    static func outcome(of process: ProcessOutcome) -> ProofOutcome {
        if let line = process.output.split(separator: "\n").last(where: { $0.hasPrefix(ProofOutcome.marker) }),
            let outcome = try? JSONDecoder().decode(
                ProofOutcome.self, from: Data(line.dropFirst(ProofOutcome.marker.count).utf8))
        {
            return outcome
        }
        let tail = process.output.split(separator: "\n").suffix(3).joined(separator: " | ")
        return ProofOutcome(
            problem: "the proof ended without a result (\(process.summary))"
                + (tail.isEmpty ? "" : ": " + tail.prefix(600)))
    }
}
