import struct Foundation.Date

/// The one-line readiness verdict of a group on its standby, from its last proof: "ready: proven 12m ago, RPO 0.4 s,
/// RTO 2.1 s", or what is wrong. Pure: the time is an argument.
public struct Readiness: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// The last proof passed and is recent.
        case ready
        /// The last proof failed: a takeover now would likely fail the same way.
        case notReady = "not-ready"
        /// No proof yet, or the last one is older than twice the interval (proofs not running).
        case unproven
    }

    public var state: State
    public var line: String
    /// The last proof, when there is one.
    public var lastProof: ProofRecord?

    public init(state: State, line: String, lastProof: ProofRecord?) {
        self.state = state
        self.line = line
        self.lastProof = lastProof
    }

    /// The verdict for `group` on its standby at `now`, from `last` (the latest proof) and whether one runs now.
    public static func verdict(
        group: GroupConfiguration, last: ProofRecord?, running: Bool = false, now: Date
    ) -> Readiness {
        let provable = !group.takeover.startScripts.isEmpty || !group.takeover.checks.isEmpty
        guard let last else {
            let line: String
            if !provable {
                line =
                    "not proven: the group has no start scripts and no checks, so there is nothing to prove (add checks)"
            } else if running {
                line = "not proven yet: the first proof is running"
            } else if group.proof.every == nil {
                line = "not proven: proofs are off (verify_every = \"off\"); run `understudy verify \(group.name)`"
            } else {
                line = "not proven yet: the first proof is due within \(group.proof.every!)"
            }
            return Readiness(state: .unproven, line: line, lastProof: nil)
        }
        let age = ConfigDuration(seconds: max(0, now.timeIntervalSince(last.startedAt)).rounded())
        guard last.passed else {
            return Readiness(
                state: .notReady,
                line: "NOT READY: the proof \(age) ago failed: \(last.problem ?? "no reason recorded")",
                lastProof: last)
        }
        var figures = "proven \(age) ago"
        figures += ", RPO " + (last.rpoSeconds.map(Self.seconds) ?? "unknown")
        figures += ", RTO " + (last.rtoSeconds.map(Self.seconds) ?? "unknown")
        if let every = group.proof.every, now.timeIntervalSince(last.startedAt) > 2 * every.seconds + 60 {
            return Readiness(
                state: .unproven, line: "stale: last \(figures); proofs are due every \(every)", lastProof: last)
        }
        return Readiness(state: .ready, line: "ready: \(figures)", lastProof: last)
    }

    /// "0.4 s", "12 s", "3.2 min".
    static func seconds(_ value: Double) -> String {
        if value < 10 { return String(Double((value * 10).rounded()) / 10) + " s" }
        if value < 120 { return "\(Int(value.rounded())) s" }
        return String(Double((value / 6).rounded()) / 10) + " min"
    }
}
