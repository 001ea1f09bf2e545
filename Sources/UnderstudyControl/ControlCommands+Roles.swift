#if canImport(Glibc)
import Glibc
#endif
import Foundation
import UnderstudyCore
import UnderstudyFailover
import UnderstudyRejoin
import UnderstudyReplication
import UnderstudySupport

/// `switchover`, `failback` and `conflicts`.
extension ControlCommands {
    func handleRoles(_ request: ControlRequest) async -> ControlResponse {
        switch request {
        case .switchover, .failback:
            return await handleSwitchover(request)
        case .conflicts(let group):
            if let group, node.configuration.groups[group] == nil {
                return ControlResponse.refused("no group '\(group)' in \(node.configuration.sourcePath)")
            }
            do {
                return ControlResponse.conflicts(
                    try withCurrentFiles(
                        try node.database.conflicts(prefix: group.map { $0 + "/" } ?? "")))
            } catch {
                return ControlResponse.refused("\(error)")
            }
        case .conflictResolve(let path, let keep):
            return resolve(path, keep: keep)
        default:
            return ControlResponse.refused("not a role command")
        }
    }

    /// A switchover or failback request (anything else is refused). `forwarded`: asked by the peer over the wire
    /// (never passed on again).
    package func handleSwitchover(_ request: ControlRequest, forwarded: Bool = false) async -> ControlResponse {
        switch request {
        case .switchover(let group, let force, let dryRun):
            return await handleSwitchover(group, failback: false, force: force, dryRun: dryRun, forwarded: forwarded)
        case .failback(let group, let force, let dryRun):
            return await handleSwitchover(group, failback: true, force: force, dryRun: dryRun, forwarded: forwarded)
        default:
            return ControlResponse.refused("not a switchover or failback")
        }
    }

    private func handleSwitchover(
        _ name: String, failback: Bool, force: Bool, dryRun: Bool, forwarded: Bool
    ) async -> ControlResponse {
        let verb = failback ? "failback" : "switchover"
        guard let group = node.configuration.groups[name] else {
            return ControlResponse.refused(
                "\(verb) needs a group of \(node.configuration.sourcePath): understudy \(verb) GROUP")
        }
        guard let failover, failover.isActive else {
            return ControlResponse.refused(
                "node \(node.name) takes part in no failover: its groups' nodes share no link (add [nodes.NAME.links] to both nodes)",
                code: "no-failover")
        }
        if failback {
            let holder = node.ownership(group: name)?.owner ?? group.primary
            if holder == group.primary {
                return ControlResponse.refused(
                    "group \(name) is served by its configured primary \(group.primary) already: nothing to fail back")
            }
        }
        if group.agentless { return await handBack(group, verb: verb, dryRun: dryRun, failover: failover) }
        // On the follower: the node that serves the group runs it (its report comes back here).
        if !forwarded, !node.owns(group: name), let peerTLS, let holder = node.ownership(group: name)?.owner,
            holder == group.peer(of: node.name)
        {
            return await SwitchoverForwarder(node: node, logger: node.logger, tls: peerTLS)
                .ask(
                    holder, group: name, failback: failback, force: force, dryRun: dryRun)
        }
        if failback, !node.owns(group: name) {
            let holder = node.ownership(group: name)?.owner ?? group.primary
            return ControlResponse.refused("run failback on \(holder), which serves group \(name) now")
        }
        if dryRun {
            let readiness = await failover.settledSwitchoverReadiness(group: name)
            let conflicts = (try? node.database.conflicts(prefix: name + "/")) ?? []
            var lines = [
                "\(verb) of \(name) from \(node.name) to \(readiness.peer) would: stop the services here, wait until \(readiness.peer) acknowledged every change, release the address, hand over epoch \((node.ownership(group: name)?.epoch ?? 0) + 1); \(readiness.peer) then takes the address and starts the services, and this node follows it."
            ]
            lines.append(
                readiness.ready ? "ready: \(readiness.peer) is reachable, connected and has every change" : "not ready:"
            )
            lines += readiness.problems.map { "  - " + $0 }
            let inFlight = failover.changesInFlight(group: name)
            lines.append(
                inFlight.isEmpty
                    ? "changes in flight: none"
                    : "changes in flight (drained after the services stop): \(inFlight.joined(separator: ", "))")
            lines.append(
                conflicts.isEmpty
                    ? "open conflicts: none"
                    : "open conflicts (resolve or keep both first): "
                        + conflicts.map { "\($0.share)/\($0.path)" }.joined(separator: ", "))
            return .plan(lines.joined(separator: "\n"), ready: readiness.ready, conflicts: conflicts)
        }
        let report = await failover.switchover(group: name, force: force)
        let text =
            report.lines.joined(separator: "\n")
            + (report.ok ? "\n\(verb) of \(name) done in \(FailoverService.ms(report.total))" : "")
        return report.ok ? .done(text) : .refused(text, code: report.code)
    }

    /// How the dry run of an agentless failback marks a share whose mount is missing (not ready).
    static let unmounted = " (mount it first)"

    /// A switchover or failback of an agentless group: only back to its primary, from this node serving it.
    private func handBack(
        _ group: GroupConfiguration, verb: String, dryRun: Bool, failover: FailoverService
    ) async -> ControlResponse {
        let name = group.name
        guard node.owns(group: name) else {
            return ControlResponse.refused(
                "group \(name)'s primary \(group.primary) runs no understudy and serves the group: to serve it here, take it over with understudy failover \(name)"
            )
        }
        if dryRun {
            // On a thread of its own: a hung mount blocks it, not the daemon.
            let shares = group.shares
            let mounts =
                (try? await onThread {
                    shares.map { share in
                        (try? AgentlessShareSync.checkSource(share.source)).map {
                            "\(share.name) on \($0.type) \($0.source)"
                        } ?? "\(share.name): \(share.source) is not mounted" + Self.unmounted
                    }
                }) ?? []
            let lines = [
                "\(verb) of \(name) from \(node.name) to \(group.primary) (agentless) would: stop the services here and release the address, copy what changed here since the takeover back to \(group.primary)'s shares through their mounts (a version changed there too is kept beside as a conflict copy first), store epoch \((node.ownership(group: name)?.epoch ?? 0) + 1) for \(group.primary), and scan its mounts again. The services on \(group.primary) are yours to start.",
                "mounts: " + mounts.joined(separator: "; "),
            ]
            return .plan(
                lines.joined(separator: "\n"), ready: !mounts.contains { $0.hasSuffix(Self.unmounted) },
                conflicts: [])
        }
        let report = await failover.agentlessFailback(group: name)
        let text =
            report.lines.joined(separator: "\n")
            + (report.ok ? "\n\(verb) of \(name) done in \(FailoverService.ms(report.total))" : "")
        return report.ok ? .done(text) : .refused(text, code: report.code)
    }

    private func withCurrentFiles(_ conflicts: [ConflictInfo]) throws -> [ConflictInfo] {
        conflicts.map { conflict in
            var conflict = conflict
            let parts = conflict.share.split(separator: "/", maxSplits: 1).map(String.init)
            if parts.count == 2, let context = node.shares[group: parts[0], share: parts[1]] {
                var info = stat()
                if lstat(context.localPath + "/" + conflict.path, &info) == 0 {
                    conflict.currentSize = Int64(info.st_size)
                    conflict.currentModified = Date(
                        timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
                }
            }
            return conflict
        }
    }

    /// local: the serving node's version stays, the copy goes; remote: the copy replaces it; both: both stay. Run
    /// on the node that serves the group (its tree is the one with both versions); the rejoin part resolves it.
    private func resolve(_ path: String, keep: ConflictKeep) -> ControlResponse {
        let parts = path.split(separator: "/", maxSplits: 2).map(String.init)
        guard parts.count == 3, let context = node.shares[group: parts[0], share: parts[1]] else {
            return ControlResponse.refused("'\(path)' is not GROUP/SHARE/path of a share of this node")
        }
        guard node.owns(group: parts[0]) else {
            let holder = node.ownership(group: parts[0])?.owner ?? "?"
            return ControlResponse.refused(
                "resolve conflicts on \(holder), which serves group \(parts[0]): this node's tree follows it")
        }
        do {
            let outcome = try ConflictResolver.resolve(parts[2], keep: keep, in: context, database: node.database)
            let conflict = outcome.conflict
            node.event(
                .info, .conflictResolved,
                "\(conflict.path): kept \(keep.rawValue) (\(conflict.node)'s version was \(conflict.copy))",
                share: context.key)
            return ControlResponse.done("\(context.key)/\(conflict.path): \(outcome.summary)")
        } catch {
            return .failure(error)
        }
    }
}
