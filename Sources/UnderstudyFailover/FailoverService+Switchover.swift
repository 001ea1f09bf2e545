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
    }

    /// Shares with changes not yet acknowledged by the follower (a switchover drains them after stopping the services).
    package func changesInFlight(group name: String) -> [String] {
        runtime.shareContexts.values.filter { $0.group.name == name && !($0.capture?.isDrained ?? true) }.map(\.key)
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
                state.liveness[peer]?.silence(at: now) ?? .infinity,
                state.peerPhases[name]
            )
        }
        if !owner || phase != .active {
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
        while readiness.settling && runtime.now() - start < seconds {
            try? await Task.sleep(nanoseconds: 50_000_000)
            readiness = switchoverReadiness(group: name)
        }
        return readiness
    }

    package func switchover(group name: String, force: Bool, drainTimeout: Double = 120) async -> SwitchoverReport {
        let started = runtime.now()
        var lines: [String] = []
        let readiness = await settledSwitchoverReadiness(group: name)
        let peer = readiness.peer
        guard let actions = actions[name], let group = groups.first(where: { $0.name == name }) else {
            return SwitchoverReport(ok: false, lines: readiness.problems, total: 0)
        }
        if !readiness.problems.isEmpty {
            return SwitchoverReport(
                ok: false,
                lines: ["switchover of \(name) refused, nothing changed:"] + readiness.problems.map { "  - " + $0 }
                    + ["--force only skips waiting for changes still in flight; an unreachable peer is never forced"],
                total: 0)
        }
        runtime.logger.notice("group \(name): switchover to \(peer) asked for by the administrator")
        tell(
            NotificationEvent(
                kind: .takeoverStarted, severity: .warning, node: runtime.name, group: name, topic: "switchover",
                summary: "switchover of group \(name) from \(runtime.name) to \(peer) started", detail: "",
                time: runtime.clock.wallSeconds()))
        let stopAt = runtime.now()
        let stopped = await actions.stopServices()
        lines += stopped.lines
        lines.append("services stopped (\(Self.ms(runtime.now() - stopAt)))")
        // Drain: every captured change acknowledged by the follower (durable there).
        let drainAt = runtime.now()
        let contexts = runtime.shareContexts.values.filter { $0.group.name == name }
        let quiet = group.quietDelay.seconds
        try? await Task.sleep(nanoseconds: UInt64(min(1, quiet + 0.05) * 1e9))
        var drained = false
        while runtime.now() - drainAt < drainTimeout {
            if contexts.allSatisfy({ $0.capture?.isDrained ?? true }) {
                drained = true
                break
            }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        guard drained || force else {
            var report = GroupActions.Report()
            await actions.bringUp(&report)
            lines.append(
                "the follower did not acknowledge every change within \(Int(drainTimeout)) s: nothing was handed over; services started again here"
            )
            lines += report.lines
            tell(
                NotificationEvent(
                    kind: .takeoverFailed, severity: .critical, node: runtime.name, group: name, topic: "switchover",
                    summary:
                        "switchover of group \(name) to \(peer) failed: changes were not drained; \(runtime.name) still serves it",
                    detail: lines.joined(separator: "\n"), time: runtime.clock.wallSeconds()))
            return SwitchoverReport(ok: false, lines: lines, total: runtime.now() - started)
        }
        lines.append(
            drained
                ? "mirror drained: \(peer) acknowledged every change (\(Self.ms(runtime.now() - drainAt)))"
                : "mirror NOT drained after \(Int(drainTimeout)) s; handing over anyway (--force): the rejoin keeps what differs as conflicts"
        )
        let releaseAt = runtime.now()
        let released = await actions.release(runStopScripts: false)
        lines += released.lines
        let current = runtime.ownership(group: name) ?? GroupOwnership.initial(of: group)
        let next = current.takenOver(by: peer)
        do {
            try runtime.database.saveOwnership(next, group: name, at: runtime.clock.wallTime())
        } catch {
            var report = GroupActions.Report()
            await actions.bringUp(&report)
            lines.append("could not store \(next): \(error); nothing was handed over, services started again here")
            return SwitchoverReport(ok: false, lines: lines + report.lines, total: runtime.now() - started)
        }
        state.withLockedValue { $0.machines[name]?.handedOver(next, at: runtime.now()) }
        runtime.setOwnership(next, group: name)
        lines.append("handed \(next) to \(peer); this node follows it now")
        // The peer takes the group at its next heartbeat; wait to see it serving.
        var outage: Double?
        for _ in 0..<1500 {
            let phase = state.withLockedValue { $0.peerPhases[name] }
            if phase == FailoverPhase.active.rawValue {
                outage = runtime.now() - stopAt
                break
            }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        let total = runtime.now() - started
        guard let outage else {
            lines.append("\(peer) did not report serving the group within 30 s of the hand-over")
            tell(
                NotificationEvent(
                    kind: .takeoverFailed, severity: .critical, node: runtime.name, group: name, topic: "switchover",
                    summary:
                        "switchover of group \(name): \(peer) holds \(next) but was not seen serving it; check it, or run `understudy failover \(name)` there",
                    detail: lines.joined(separator: "\n"), time: runtime.clock.wallSeconds()))
            return SwitchoverReport(ok: false, lines: lines, total: total)
        }
        lines.append(
            "\(peer) serves group \(name): services were unavailable for \(Self.ms(outage)) (address released \(Self.ms(runtime.now() - releaseAt)) ago)"
        )
        tell(
            NotificationEvent(
                kind: .takeoverFinished, severity: .warning, node: runtime.name, group: name, topic: "switchover",
                summary:
                    "switchover of group \(name) to \(peer) done in \(Self.ms(total)); services unavailable for \(Self.ms(outage))",
                detail: lines.joined(separator: "\n"), time: runtime.clock.wallSeconds()))
        return SwitchoverReport(ok: true, lines: lines, total: total, outage: outage)
    }

    func rejoined(group: String) {
        state.withLockedValue { $0.machines[group]?.rejoined(at: runtime.now()) }
    }

    package static func ms(_ seconds: Double) -> String {
        seconds < 10 ? "\(Int((seconds * 1000).rounded())) ms" : "\(FailoverStateMachine.seconds(seconds)) s"
    }
}
