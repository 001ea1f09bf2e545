import UnderstudyCore
import UnderstudyRejoin
import UnderstudyReplication
import UnderstudySupport

/// `understudy failback` of an agentless group (its primary runs no understudy, so it cannot take a hand-over):
/// this node stops the group's services and gives its address up, copies what changed here back to the primary's
/// shares through their mounts (`AgentlessHandBack`: never over a version changed there too, which is kept as a
/// conflict copy), then stores the primary's ownership at the next epoch and scans its mounts again. Starting the
/// services on the primary is the administrator's: nothing of understudy runs there. A copy that fails leaves the
/// group served here again, as before.
extension FailoverService {
    package func agentlessFailback(group name: String) async -> SwitchoverReport {
        let started = runtime.now()
        guard let group = groups.first(where: { $0.name == name }), group.agentless, let actions = actions[name] else {
            return SwitchoverReport(
                ok: false, lines: ["group \(name) is not an agentless group with failover on this node"], total: 0,
                code: "no-failover")
        }
        // The mounts first: nothing is stopped while the primary's shares cannot be written.
        for share in group.shares {
            do {
                // On a thread of its own: a hung mount blocks it, not the daemon.
                let source = share.source
                _ = try await onThread { try AgentlessShareSync.checkSource(source) }
            } catch {
                return SwitchoverReport(
                    ok: false, lines: ["failback of \(name) refused, nothing changed:", "  - \(share.name): \(error)"],
                    total: 0, code: "agentless-source-missing")
            }
        }
        let now = runtime.now()
        guard let handedBack = state.withLockedValue({ $0.machines[name]?.beginHandBack(at: now) }) else {
            let phase = state.withLockedValue { $0.machines[name]?.phase.rawValue } ?? "?"
            return SwitchoverReport(
                ok: false,
                lines: [
                    "failback of \(name) refused, nothing changed: this node does not serve the group now (\(phase))"
                ],
                total: 0, code: "not-serving")
        }
        runtime.logger.notice("group \(name): failback to \(group.primary) (agentless) asked for by the administrator")
        var lines: [String] = []
        // Nothing writes to the replica from here: the services stop and the address goes.
        let released = await actions.release(runStopScripts: true)
        lines += released.lines
        var failed = !released.succeeded
        if failed {
            lines.append(
                "the address or the services could not be given up here: nothing is copied back while they may still serve"
            )
        }
        for share in group.shares where !failed {
            guard let context = runtime.shares[group: name, share: share.name] else { continue }
            do {
                let outcome = try await AgentlessHandBack(
                    node: runtime, context: context, applyOwnership: runtime.identity.appliesOwnership
                ).run(epoch: handedBack.epoch - 1)
                lines.append(
                    "copied \(context.key) back to \(group.primary): \(outcome.copied) files written, \(outcome.removed) removed, \(outcome.conflicts.count) of its versions kept as conflict copies (\(Self.ms(outcome.seconds)))"
                )
                for copy in outcome.conflicts { lines.append("  conflict copy: \(copy)") }
                if outcome.failures > 0 {
                    failed = true
                    lines.append("  \(outcome.failures) entries could not be written on \(group.primary) (see the log)")
                }
            } catch {
                failed = true
                lines.append("copying \(context.key) back to \(group.primary) failed: \(error)")
                break
            }
        }
        if !failed {
            do {
                try runtime.database.saveOwnership(handedBack, group: name, at: runtime.clock.wallTime())
            } catch {
                failed = true
                lines.append("cannot store \(handedBack): \(error)")
            }
        }
        guard !failed else {
            let produced = state.withLockedValue { $0.machines[name]?.handBackEnded(stored: nil, at: runtime.now()) }
            enqueue(name, produced ?? [])
            runtime.logger.error(
                "group \(name): the failback to \(group.primary) did not happen; this node serves it again")
            return SwitchoverReport(
                ok: false,
                lines: ["failback of \(name) did not happen; this node takes the address and serves the group again:"]
                    + lines.map { "  " + $0 }, total: runtime.now() - started, code: "failback-failed")
        }
        state.withLockedValue { state in
            _ = state.machines[name]?.handBackEnded(stored: handedBack, at: runtime.now())
            // What the checks said of this node's service does not speak for the primary's: they start afresh.
            state.observer.checks[name] = Dictionary(
                uniqueKeysWithValues: (state.checks[name] ?? []).map {
                    ($0.name, CheckHealth(rise: $0.rise, fall: $0.fall))
                })
        }
        runtime.setOwnership(handedBack, group: name)
        runtime.event(.info, .failback, "group \(name) handed back to \(group.primary) (\(handedBack))")
        lines.append(
            "\(group.primary) holds group \(name) again (\(handedBack)); this node scans its mounts again. Start its services on \(group.primary): understudy runs nothing there\(group.takeover.checks.isEmpty ? "" : "; this node takes over by itself again once a check of them passes")"
        )
        runtime.logger.notice("group \(name): handed back to \(group.primary) (\(handedBack))")
        return SwitchoverReport(ok: true, lines: lines, total: runtime.now() - started, code: nil)
    }
}
