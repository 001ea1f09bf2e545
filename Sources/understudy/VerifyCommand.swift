import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Prove now that a group's standby could take over, or show the recorded proofs.",
        discussion: """
            The standby snapshots its replica, starts the group's services on the snapshot in private namespaces \
            that carry the service address (nothing answers on the live address, nothing is written to the live \
            replica), runs the group's checks against them, stops them, and records the proof: the replica's age \
            (the proven RPO) and the time from the first start step until every check passed (the measured RTO). \
            Run it where the group's standby can be reached (default: the standby named in the configuration). \
            Exits non-zero when the proof fails. `--history` shows the recorded proofs instead.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The group to prove.") var group: String
    @Option(name: .long, help: "The node to ask (default: the group's standby).") var node: String?
    @Flag(name: .long, help: "Show the recorded proofs (newest first) instead of proving now.") var history = false
    @Option(name: .long, help: "How many recorded proofs to show with --history (1 to 200).") var limit = 20
    @Flag(name: .long, help: "Print the proofs as JSON.") var json = false

    func validate() throws {
        guard (1...200).contains(limit) else { throw ValidationError("--limit must be from 1 to 200, not \(limit)") }
    }

    func run() throws {
        var target = node
        if target == nil, options.url == nil, let configuration = try? options.load() {
            guard let configured = configuration.groups[group] else {
                throw CommandError(
                    "no group '\(group)' in \(configuration.sourcePath); its groups: \(configuration.groups.keys.sorted().joined(separator: ", "))"
                )
            }
            target = configured.standby
        }
        let (client, _) = try ControlClient.forNode(target, options: options)
        let request = history ? ControlRequest.proofs(group: group, limit: limit) : .verify(group: group)
        let response = try client.send(request, waitingUpTo: 0)
        if json {
            try JSONOutput.print(response.proofs ?? [])
        } else if let proofs = response.proofs {
            if proofs.isEmpty { print("no proofs of group \(group) are recorded") }
            for proof in proofs { print(ProofText.lines(proof, detailed: !history).joined(separator: "\n")) }
        }
        if !response.ok { throw CommandError(response.error ?? "the proof failed") }
    }
}

/// How a proof reads on the command line.
enum ProofText {
    static func lines(_ proof: ProofRecord, detailed: Bool) -> [String] {
        let when = PointInTime.format(proof.startedAt.timeIntervalSince1970)
        let figures =
            "RPO \(proof.rpoSeconds.map { String(format: "%.1f s", $0) } ?? "unknown"), RTO \(proof.rtoSeconds.map { String(format: "%.1f s", $0) } ?? "unknown")"
        var lines = [
            proof.passed
                ? "\(when) \(proof.id): PASSED — \(figures) (\(proof.reason), \(String(format: "%.1f", proof.seconds)) s)"
                : "\(when) \(proof.id): FAILED — \(proof.problem ?? "no reason recorded") (\(proof.reason))"
        ]
        guard detailed else { return lines }
        if let method = proof.snapshotMethod {
            lines.append("  snapshot: \(proof.snapshotFiles) files (\(method))")
        }
        for step in proof.steps {
            lines.append("  \(step.name): \(step.passed ? "ok" : "FAILED") — \(step.command) (\(step.summary))")
            if !step.passed {
                lines += step.output.split(separator: "\n").suffix(10).map { "    | " + $0 }
            }
        }
        for check in proof.checks {
            lines.append("  check \(check.name): \(check.passed ? "passed" : "FAILED") — \(check.message)")
        }
        return lines
    }
}
