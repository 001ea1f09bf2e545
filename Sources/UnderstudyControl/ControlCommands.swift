import CLinux
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import UnderstudyAccounts
import UnderstudyArchive
import UnderstudyCore
import UnderstudyFailover
import UnderstudyFileSystem
import UnderstudyProof
import UnderstudyReplication
import UnderstudyState
import UnderstudySupport

/// What the node answers to each `ControlRequest`: the status, syncs, archives and history, switchovers and
/// failbacks, manual failovers, conflicts and adoptions. It knows no transport: `ControlSocket` brings it the CLI's
/// requests, and the HTTP API will bring it the same ones.
package struct ControlCommands: ControlRequestHandler, StatusSnapshotSource {
    let node: any ControlNode
    let syncRequests: SyncRequestTable
    var failover: FailoverService? = nil
    var archives: ArchiveService? = nil
    /// For asking the peer (a switchover asked for on the follower).
    var peerTLS: NIOSSLContext? = nil
    /// The console's users and tokens; nil: no user or token request is taken.
    var accounts: AccountStore? = nil
    /// Re-reads the configuration file (`reload`); nil: the daemon has no file to re-read.
    var reloader: (any ConfigurationReloading)? = nil
    /// Proofs of readiness (on a node that is some group's standby); nil: none here.
    var proofs: ProofService? = nil
    /// The tracked configuration of the groups this node is the primary of; nil: none here.
    var tracker: ConfigTracker? = nil

    package func handle(_ request: ControlRequest, from who: RequestOrigin) async -> ControlResponse {
        let response = await answer(request, from: who)
        if request.changesState { record(request, response, from: who) }
        return response
    }

    private func answer(_ request: ControlRequest, from who: RequestOrigin) async -> ControlResponse {
        switch request {
        case .users, .userAdd, .userPassword, .userRemove, .tokens, .tokenCreate, .tokenRevoke, .maintenance:
            return handleAccounts(request, from: who)
        case .configHistory, .configDiff, .configRollback:
            return await handleConfig(request)
        case .archives, .archiveNow, .archiveRemove, .history, .restore:
            guard let archives else {
                return ControlResponse.refused("node \(node.name) keeps no replica, so it has no archives or history")
            }
            return await handleArchive(request, archives)
        case .switchover, .failback, .conflicts, .conflictResolve:
            return await handleRoles(request)
        case .adopt(let share, let mode):
            return await handleAdopt(share: share, mode: mode)
        case .status:
            return ControlResponse.status(report())
        case .failover(let group, let force):
            guard let failover, failover.isActive else {
                return ControlResponse.refused(
                    "node \(node.name) takes part in no failover: its groups' nodes share no link (add [nodes.NAME.links] to both nodes)",
                    code: "no-failover")
            }
            switch failover.manualFailover(group: group, force: force) {
            case .success(let message): return ControlResponse.done(message)
            case .failure(let refusal): return .failure(refusal)
            }
        case .sync(let group):
            return await sync(group)
        case .verify(let group):
            guard let proofs else {
                return .refused(
                    "node \(node.name) is the standby of no group: proofs run on a group's standby",
                    code: "not-follower")
            }
            do {
                return .proofs([try await proofs.prove(group: group, reason: "asked by \(who.name)")], asked: true)
            } catch {
                return .failure(error)
            }
        case .proofs(let group, let limit):
            guard let proofs else {
                return .refused(
                    "node \(node.name) follows no group: proofs are made and kept on a group's standby",
                    code: "not-follower")
            }
            do {
                return .proofs(try proofs.proofs(group: group, limit: limit), asked: false)
            } catch {
                return .failure(error)
            }
        case .reload:
            guard let reloader else {
                return .refused(
                    "node \(node.name) runs without a configuration file to re-read", code: "configuration-invalid")
            }
            // Reading the file and the database, joining a capture's threads: off the cooperative pool.
            let outcome = try? await onThread { reloader.reload(askedBy: "reload asked by \(who.name)") }
            switch outcome {
            case .success(let report)?: return .reloaded(report)
            case .failure(let refusal)?: return .failure(refusal)
            case nil: return .refused("the reload could not run", code: "configuration-invalid")
            }
        }
    }

    /// `understudy sync [GROUP]`: the follower of each group (the node that does not hold it now) syncs it.
    private func sync(_ group: String?) async -> ControlResponse {
        let targets: [String]
        if let group {
            guard syncRequests[group] != nil, !node.owns(group: group) else {
                if let configured = node.configuration.groups[group] {
                    return ControlResponse.refused(
                        "group '\(group)' is synced by the node that follows it, \(configured.peer(of: node.name)): run `understudy sync \(group)` there"
                    )
                }
                return ControlResponse.refused("no group '\(group)' in \(node.configuration.sourcePath)")
            }
            targets = [group]
        } else {
            targets = syncRequests.groups.filter { !node.owns(group: $0) }
            if targets.isEmpty {
                return ControlResponse.refused(
                    "node \(node.name) follows no group (it serves them); syncs are driven by the follower")
            }
        }
        var results: [SyncResult] = []
        for group in targets {
            results += await syncRequests[group]?.request() ?? []
        }
        return .synced(results, status: report())
    }

    private func handleArchive(_ request: ControlRequest, _ service: ArchiveService) async -> ControlResponse {
        do {
            switch request {
            case .archives(let group, let share):
                return ControlResponse.archives(try await service.list(group: group, share: share))
            case .archiveNow(let group, let share, let series):
                let context = try service.context(group: group, share: share)
                let series = series ?? "manual"
                let schedule = context.group.archives.first { $0.share == context.shareName && $0.name == series }
                guard series == "manual" || schedule != nil else {
                    let names =
                        ["manual"] + context.group.archives.filter { $0.share == context.shareName }.map(\.name)
                    throw ArchiveError(
                        .unknownSchedule,
                        "\(context.key) has no archive schedule '\(series)'; use one of \(names.joined(separator: ", "))"
                    )
                }
                let info = try await service.takeArchive(context, series: series, paths: schedule?.paths ?? [])
                return ControlResponse.archives([info])
            case .archiveRemove(let group, let share, let id):
                let context = try service.context(group: group, share: share)
                try await service.removeArchive(context, id: id, reason: "removed by request")
                service.updateStatus(context)
                return ControlResponse.done("archive \(id) of \(context.key) removed")
            case .history(let path):
                return ControlResponse.history(try service.history(path: path))
            case .restore(let path, let archive, let at, let to, let inPlace, let overwrite):
                let report = try await service.restore(
                    path: path, archive: archive, at: at, to: to, inPlace: inPlace, overwrite: overwrite)
                return ControlResponse.restored(report)
            default:
                return ControlResponse.refused("not an archive command")
            }
        } catch {
            return .failure(error)
        }
    }

    package func report() -> NodeStatusReport {
        let open = (try? node.database.conflicts()) ?? []
        var groups = node.status.snapshot(now: node.now())
        let operators = accounts?.current
        for index in groups.indices {
            let count = open.filter { $0.share.hasPrefix(groups[index].name + "/") }.count
            groups[index].openConflicts = count > 0 ? count : nil
            groups[index].maintenance = operators?.maintenance(of: groups[index].name)
            groups[index].readiness = proofs?.readiness(group: groups[index].name)
        }
        let failoverStatus = failover?.isActive == true ? failover?.snapshot() : nil
        groups = FollowerLag.apply(
            to: groups, links: failoverStatus?.links, startedAt: node.identity.startedAt, now: node.clock.wallTime())
        groups = withOffsiteHops(groups, now: node.clock.wallSeconds())
        var report = NodeStatusReport(
            cluster: node.configuration.cluster, node: node.name, version: UnderstudyVersion.current,
            startedAt: node.identity.startedAt, groups: groups, failover: failoverStatus)
        let warnings = capacityWarnings(groups) + [reloader?.refusal].compactMap { $0 }
        report.warnings = warnings.isEmpty ? nil : warnings
        let (syncfs, resumePoints) = (node.fileSystemSync.figures, node.database.resumePointFigures)
        report.durability = DurabilityFigures(
            syncfsRequests: syncfs.requests, syncfsCalls: syncfs.rounds, resumePointSaves: resumePoints.requests,
            resumePointCommits: resumePoints.rounds)
        return report
    }

    package init(
        node: any ControlNode, syncRequests: SyncRequestTable, failover: FailoverService? = nil,
        archives: ArchiveService? = nil, peerTLS: NIOSSLContext? = nil, accounts: AccountStore? = nil,
        reloader: (any ConfigurationReloading)? = nil, proofs: ProofService? = nil, tracker: ConfigTracker? = nil
    ) {
        self.tracker = tracker
        self.proofs = proofs
        self.accounts = accounts
        self.reloader = reloader
        self.node = node
        self.syncRequests = syncRequests
        self.failover = failover
        self.archives = archives
        self.peerTLS = peerTLS
    }
}

public enum UnderstudyVersion {
    public static let current = "0.1.0"
}
