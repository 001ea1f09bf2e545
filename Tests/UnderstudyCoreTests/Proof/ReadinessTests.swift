import Foundation
import Testing
import UnderstudyCore

/// The one-line verdict `status` shows per group on its standby.
@Suite struct ReadinessTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func group(
        every: ConfigDuration? = ProofConfiguration.defaultEvery, checks: Bool = true
    )
        -> GroupConfiguration
    {
        GroupConfiguration(
            name: "web", primary: "alpha", standby: "beta",
            shares: [try! ShareConfiguration(name: "site", source: "/srv/www")],
            takeover: TakeoverConfiguration(
                checks: checks
                    ? [CheckConfiguration(name: "page", probe: .tcp(try! PeerAddress.parse("10.0.0.100:80")))] : []),
            proof: ProofConfiguration(every: every))
    }

    static func proof(minutesAgo: Double, passed: Bool, problem: String? = nil) -> ProofRecord {
        ProofRecord(
            id: "p", group: "web", node: "beta", startedAt: now.addingTimeInterval(-minutesAgo * 60),
            reason: "schedule", passed: passed, problem: problem, rpoSeconds: 0.42, rtoSeconds: 2.14)
    }

    @Test func aRecentPassedProof_isReady_withItsFigures() {
        let verdict = Readiness.verdict(
            group: Self.group(), last: Self.proof(minutesAgo: 12, passed: true), now: Self.now)
        #expect(verdict.state == .ready)
        #expect(verdict.line == "ready: proven 12m ago, RPO 0.4 s, RTO 2.1 s", "\(verdict.line)")
    }

    @Test func aFailedProof_isNotReady_andSaysWhy() {
        let verdict = Readiness.verdict(
            group: Self.group(), last: Self.proof(minutesAgo: 3, passed: false, problem: "check page fails"),
            now: Self.now)
        #expect(verdict.state == .notReady)
        #expect(verdict.line == "NOT READY: the proof 3m ago failed: check page fails", "\(verdict.line)")
    }

    @Test func aProofOlderThanTwoIntervals_isStale() {
        let verdict = Readiness.verdict(
            group: Self.group(), last: Self.proof(minutesAgo: 200, passed: true), now: Self.now)
        #expect(verdict.state == .unproven)
        #expect(verdict.line.hasPrefix("stale: last proven"), "\(verdict.line)")
    }

    @Test func noProof_saysWhen_orWhyNot() {
        #expect(
            Readiness.verdict(group: Self.group(), last: nil, now: Self.now).line
                == "not proven yet: the first proof is due within 1h")
        #expect(
            Readiness.verdict(group: Self.group(), last: nil, running: true, now: Self.now).line.contains("running"))
        #expect(
            Readiness.verdict(group: Self.group(every: nil), last: nil, now: Self.now).line.contains("proofs are off"))
        #expect(
            Readiness.verdict(group: Self.group(checks: false), last: nil, now: Self.now).line.contains(
                "nothing to prove"))
    }
}
