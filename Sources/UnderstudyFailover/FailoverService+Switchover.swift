import Foundation
import UnderstudyCore

/// A planned switchover, run on the node that holds the group: stop the services, drain the mirror until the
/// follower acknowledged every change, give up the address, hand the next epoch to the follower — which takes
/// the group over as it would after a failure — and become the follower. Each step is reported; a step that
/// fails leaves the group with exactly one holder, and the report says what to do next.
extension FailoverService {
    package struct SwitchoverReport: Sendable {
        package var ok: Bool
        package var lines: [String]
        package var total: Double
        var outage: Double?
        /// Why it did not happen or did not end well (`peer-not-ready`, a `HandOver` code); nil when it did.
        package var code: String?
    }

    /// Shares with changes not yet acknowledged by the follower (a switchover drains them after stopping the services).
    package func changesInFlight(group name: String) -> [String] {
        runtime.shares.of(group: name).filter { !($0.capture?.isDrained ?? true) }.map(\.key)
            .sorted()
    }

    /// What a switchover of `group` would find now (for `--dry-run` and the refusals). `settling`: the only
    /// problems are a follower not yet in step or not yet connected, which a moment may change.
    func switchoverReadiness(group name: String) -> (ready: Bool, problems: [String], peer: String, settling: Bool) {
        guard let group = groups.first(where: { $0.name == name }) else {
            return (
                false, ["group '\(name)' has no failover on this node (no link in common with its peer)"], "", false
            )
        }
        let peer = group.peer(of: runtime.name)
        var problems: [String] = []
        var settling = true
        let now = runtime.now()
        let (owner, phase, silence, peerPhase) = state.withLockedValue { state in
            (
                state.machines[name]?.isOwner ?? false, state.machines[name]?.phase,
                state.observer.silence(of: peer, at: now),
                state.peerPhases[name]
            )
        }
        if phase == .handingOver {
            problems.append("a switchover of group \(name) is under way; `understudy status` shows its progress")
            settling = false
        } else if !owner || phase != .active {
            let holder = runtime.ownership(group: name).map { "\($0)" } ?? "unknown"
            problems.append(
                "this node does not serve group \(name) (\(holder), phase \(phase?.rawValue ?? "?")); run the command on the node that serves it"
            )
            settling = false
        }
        if silence >= runtime.configuration.heartbeat.deadTime.seconds {
            settling = false
            problems.append(
                "\(peer) is not reachable (nothing heard for \(FailoverStateMachine.seconds(silence)) s): it could not take the group over"
            )
        }
        if let peerPhase, peerPhase != FailoverPhase.standby.rawValue {
            problems.append(
                "\(peer) is \(peerPhase), not a standby in step with this node (a rejoin not finished yet?): it would not take the group"
            )
        }
        let status = runtime.status.snapshot(now: now).first { $0.name == name }
        if status?.peerConnected != true {
            problems.append("\(peer) is not connected to follow the data")
        }
        return (problems.isEmpty, problems, peer, settling && !problems.isEmpty)
    }

    /// The readiness, after waiting up to `seconds` for a follower that is settling: one that has just finished
    /// its rejoin says so in its next heartbeats, and a switchover asked right then should not be refused for it.
    /// The wait is a few heartbeats' worth: long enough for the follower's news, short for an administrator.
    package func settledSwitchoverReadiness(
        group name: String
    ) async -> (ready: Bool, problems: [String], peer: String, settling: Bool) {
        let seconds = min(5, max(1, 5 * runtime.configuration.heartbeat.interval.seconds))
        var readiness = switchoverReadiness(group: name)
        let start = runtime.now()
        while readiness.settling && runtime.now() - start < seconds && !Task.isCancelled {
            try? await Task.sleep(nanoseconds: 50_000_000)
            readiness = switchoverReadiness(group: name)
        }
        return readiness
    }

    /// Runs a switchover of `group` to its peer: refused (nothing changed) unless the peer is ready; otherwise the
    /// group's machine hands it over step by step (`HandOver`), its queue performs each step, and the report comes
    /// back once the peer serves the group or the hand-over ended otherwise.
    package func switchover(group name: String, force: Bool, drainTimeout: Double = 120) async -> SwitchoverReport {
        let started = runtime.now()
        let readiness = await settledSwitchoverReadiness(group: name)
        let peer = readiness.peer
        guard actions[name] != nil else {
            return SwitchoverReport(ok: false, lines: readiness.problems, total: 0, code: "no-failover")
        }
        if !readiness.problems.isEmpty {
            return SwitchoverReport(
                ok: false,
                lines: ["switchover of \(name) refused, nothing changed:"] + readiness.problems.map { "  - " + $0 }
                    + ["--force only skips waiting for changes still in flight; an unreachable peer is never forced"],
                total: 0, code: "peer-not-ready")
        }
        runtime.logger.notice("group \(name): switchover to \(peer) asked for by the administrator")
        return await withCheckedContinuation { continuation in
            let outcome = state.withLockedValue { state -> Result<[FailoverAction], SwitchoverRefusal> in
                guard state.running else { return .failure(.stopping) }
                // One at a time: the answer of the last one may still be on its way (its services starting again).
                if state.handOvers[name] != nil { return .failure(.handOver(.underWay(.stoppingServices))) }
                guard var machine = state.machines[name] else { return .failure(.handOver(.notServing(.starting))) }
                let outcome = machine.requestHandOver(
                    to: peer, force: force, drainTimeout: drainTimeout, at: runtime.now())
                if case .success = outcome {
                    state.machines[name] = machine
                    state.handOvers[name] = PendingHandOver(startedAt: started, answer: continuation)
                }
                return outcome.mapError { .handOver($0) }
            }
            switch outcome {
            case .success(let produced):
                enqueue(name, produced)
            case .failure(let refusal):
                continuation.resume(
                    returning: SwitchoverReport(
                        ok: false,
                        lines: ["switchover of \(name) refused, nothing changed:", "  - \(refusal.message)"],
                        total: 0, code: refusal.errorCode))
            }
        }
    }

    /// Why a switchover was not even begun.
    enum SwitchoverRefusal: Error {
        case handOver(HandOver.Refusal)
        /// The daemon is stopping.
        case stopping

        var message: String {
            switch self {
            case .handOver(let refusal): "\(refusal)"
            case .stopping: "the daemon is stopping; ask again once it runs"
            }
        }

        var errorCode: String {
            switch self {
            case .handOver(let refusal): refusal.errorCode
            case .stopping: "stopped"
            }
        }
    }

    /// A hand-over under way, as the administrator who asked for it sees it: the report's lines so far, and where the
    /// report goes when it ends.
    struct PendingHandOver {
        let startedAt: Double
        let answer: CheckedContinuation<SwitchoverReport, Never>
        var lines: [String] = []
    }

    /// Adds lines to the report of the group's hand-over under way (none: nothing).
    func report(_ group: String, _ lines: [String]) {
        guard !lines.isEmpty else { return }
        state.withLockedValue { $0.handOvers[group]?.lines += lines }
    }

    /// Performs a step of a hand-over (`HandOver`) and feeds its outcome back.
    func performHandOver(_ action: FailoverAction, actions: GroupActions) async {
        let group = actions.group
        let name = group.name
        let peer = group.peer(of: runtime.name)
        switch action {
        case .stopServices:
            let stopAt = runtime.now()
            let stopped = await actions.stopServices()
            report(name, stopped.lines + ["services stopped (\(Self.ms(runtime.now() - stopAt)))"])
            feed(name) { $0.servicesStopped(at: runtime.now()) }
        case .drain(let timeout, let force):
            let drainAt = runtime.now()
            let drained = await drain(group, timeout: timeout)
            report(
                name,
                [
                    drained
                        ? "mirror drained: \(peer) acknowledged every change (\(Self.ms(runtime.now() - drainAt)))"
                        : force
                            ? "mirror NOT drained after \(Int(timeout)) s; handing over anyway (--force): the rejoin keeps what differs as conflicts"
                            : "the follower did not acknowledge every change within \(Int(timeout)) s: nothing was handed over; services started again here"
                ])
            feed(name) { $0.drainFinished(drained: drained, at: runtime.now()) }
        case .handOver(let next):
            do {
                try runtime.database.saveOwnership(next, group: name, at: runtime.clock.wallTime())
                runtime.setOwnership(next, group: name)
                report(name, ["handed \(next) to \(peer); this node follows it now"])
                feed(name) { $0.handOverStored(true, at: runtime.now()) }
            } catch {
                report(
                    name, ["could not store \(next): \(error); nothing was handed over, services started again here"])
                feed(name) { $0.handOverStored(false, at: runtime.now()) }
            }
        case .handOverEnded(let outcome):
            endHandOver(group, outcome)
        default:
            break
        }
    }

    /// Waits until every share of the group has its captured changes acknowledged by the follower, at most `timeout`
    /// seconds (after the quiet delay, so that the last writes are captured).
    private func drain(_ group: GroupConfiguration, timeout: Double) async -> Bool {
        let contexts = runtime.shares.of(group: group.name)
        let start = runtime.now()
        try? await Task.sleep(nanoseconds: UInt64(min(1, group.quietDelay.seconds + 0.05) * 1e9))
        while runtime.now() - start < timeout && !Task.isCancelled {
            if contexts.allSatisfy({ $0.capture?.isDrained ?? true }) { return true }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return false
    }

    /// Words the end of a hand-over, tells the administrator, and answers whoever asked for it.
    private func endHandOver(_ group: GroupConfiguration, _ outcome: HandOver.Outcome) {
        let name = group.name
        let peer = group.peer(of: runtime.name)
        let pending = state.withLockedValue { $0.handOvers.removeValue(forKey: name) }
        var lines = pending?.lines ?? []
        let total = runtime.now() - (pending?.startedAt ?? runtime.now())
        var outage: Double?
        let notification: (NotificationEvent.Kind, NotificationEvent.Severity, String)?
        switch outcome {
        case .done(let unavailable, let sinceRelease):
            outage = unavailable
            FailoverMetrics.takeover(group: name, kind: "switchover", seconds: total)
            lines.append(
                "\(peer) serves group \(name): services were unavailable for \(Self.ms(unavailable)) (address released \(Self.ms(sinceRelease)) ago)"
            )
            notification = (
                .takeoverFinished, .warning,
                "switchover of group \(name) to \(peer) done in \(Self.ms(total)); services unavailable for \(Self.ms(unavailable))"
            )
        case .notDrained:
            notification = (
                .takeoverFailed, .critical,
                "switchover of group \(name) to \(peer) failed: changes were not drained; \(runtime.name) still serves it"
            )
        case .notStored:
            notification = (
                .takeoverFailed, .critical,
                "switchover of group \(name) to \(peer) failed: the new epoch could not be stored; \(runtime.name) still serves it"
            )
        case .peerNotSeen(let next, let waited):
            lines.append("\(peer) did not report serving the group within \(Int(waited)) s of the hand-over")
            notification = (
                .takeoverFailed, .critical,
                "switchover of group \(name): \(peer) holds \(next) but was not seen serving it; check it, or run `understudy failover \(name)` there"
            )
        case .overtaken(let newer):
            lines.append("\(newer.owner) holds \(newer), newer than the hand-over: this node gave the group up to it")
            notification = nil
        }
        if let (kind, severity, summary) = notification {
            tell(
                NotificationEvent(
                    kind: kind, severity: severity, node: runtime.name, group: name, topic: "switchover",
                    summary: summary, detail: lines.joined(separator: "\n"), time: runtime.clock.wallSeconds()))
        }
        pending?.answer.resume(
            returning: SwitchoverReport(
                ok: outcome.succeeded, lines: lines, total: total, outage: outage, code: outcome.errorCode))
    }

    /// The daemon stops: whoever waits for a hand-over learns that it did not finish.
    func abandonHandOvers() {
        let pending = state.withLockedValue { state in
            state.running = false
            defer { state.handOvers = [:] }
            return state.handOvers
        }
        for (name, handOver) in pending {
            handOver.answer.resume(
                returning: SwitchoverReport(
                    ok: false,
                    lines: handOver.lines + [
                        "the daemon stopped before the switchover of \(name) ended; `understudy status` shows who holds it"
                    ],
                    total: runtime.now() - handOver.startedAt, code: "stopped"))
        }
    }

    /// Answers whoever waits for `group`'s hand-over: a reload removed the group.
    func abandonHandOver(of group: String) {
        guard let handOver = state.withLockedValue({ $0.handOvers.removeValue(forKey: group) }) else { return }
        handOver.answer.resume(
            returning: SwitchoverReport(
                ok: false,
                lines: handOver.lines + [
                    "a reload removed group \(group) before its switchover ended; `understudy status` shows who holds it"
                ],
                total: runtime.now() - handOver.startedAt, code: "stopped"))
    }

    func rejoined(group: String) {
        state.withLockedValue { $0.machines[group]?.rejoined(at: runtime.now()) }
    }

    package static func ms(_ seconds: Double) -> String {
        seconds < 10 ? "\(Int((seconds * 1000).rounded())) ms" : "\(FailoverStateMachine.seconds(seconds)) s"
    }
}
