#if canImport(Glibc)
import Glibc
#endif
import Foundation
import UnderstudyCore
import UnderstudySupport

/// Starts `understudy proof-run PLAN` in new mount, network and PID namespaces, through util-linux's `unshare`
/// (Debian's essential package): `--fork` makes the proof PID 1 of its PID namespace, `--kill-child` ends it with
/// `unshare`, and `--mount-proc` gives it a /proc of its own. Waits for it with a limit and reads its outcome.
package struct ProofLauncher: Sendable {
    /// The understudy binary to run inside (the daemon's own); nil when the daemon runs inside another program.
    package var executable: String?
    package var unshare: String?

    package init(executable: String?) {
        self.executable = executable
        unshare = ["/usr/bin/unshare", "/bin/unshare"].first { access($0, X_OK) == 0 }
    }

    package static let arguments = [
        "--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "private",
    ]

    /// Runs the plan at `planPath`; the outcome, whose `problem` says what went wrong when nothing came back.
    package func run(planPath: String, limit: Double) async -> ProofOutcome {
        guard let unshare else {
            var outcome = ProofOutcome()
            outcome.problem = "util-linux's unshare is not installed (/usr/bin/unshare): proofs need it"
            return outcome
        }
        guard let executable else {
            var outcome = ProofOutcome()
            outcome.problem = "this daemon runs inside another program, without the understudy binary a proof runs"
            return outcome
        }
        let process = await ProcessRunner.run(
            executable: unshare, arguments: Self.arguments + [executable, "proof-run", planPath], timeout: limit,
            outputLimit: 1 << 20)
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
        var outcome = ProofOutcome()
        let tail = process.output.split(separator: "\n").suffix(3).joined(separator: " | ")
        outcome.problem =
            "the proof ended without a result (\(process.summary))" + (tail.isEmpty ? "" : ": " + tail.prefix(600))
        return outcome
    }
}
