#if canImport(Glibc)
import Glibc
#endif
import Foundation
import UnderstudyCore
import UnderstudyReplication
import UnderstudyState
import UnderstudySupport

extension ProofService {
    /// Proves `group` now and records the proof (`reason`: "schedule", "asked by NAME"). Throws only when the request
    /// cannot be taken (not followed here, one running, nothing to prove); a proof that fails is a record too.
    package func prove(group name: String, reason: String) async throws(ProofError) -> ProofRecord {
        guard let group = node.currentGroup(name) else {
            let names = node.configuration.groups.keys.sorted().joined(separator: ", ")
            throw ProofError(.unknownGroup, "no group '\(name)' in the configuration; the groups are \(names)")
        }
        guard group.standby == node.name, !node.owns(group: name) else {
            let follower = node.owns(group: name) ? group.peer(of: node.name) : group.standby
            throw ProofError(
                .notFollower,
                "group '\(name)' is proven on the node that follows it, \(follower): run `understudy verify \(name)` there"
            )
        }
        guard Self.provable(group) else {
            throw ProofError(
                .nothingToProve,
                "group '\(name)' has no start steps and no checks: a proof would show nothing; add [[groups.\(name).checks]]"
            )
        }
        guard running.withLockedValue({ $0.insert(name).inserted }) else {
            throw ProofError(
                .busy, "a proof of group '\(name)' is running; its result will show in `understudy status`")
        }
        defer { _ = running.withLockedValue { $0.remove(name) } }
        let record = await performProof(group, reason: reason)
        do {
            try node.database.saveProof(record)
        } catch {
            node.logger.error("group \(name): the proof could not be recorded: \(error)")
        }
        report(record)
        return record
    }

    private func performProof(_ group: GroupConfiguration, reason: String) async -> ProofRecord {
        let wallStart = node.clock.wallSeconds()
        let started = MonotonicClock.seconds()
        let id = "\(group.name)-\(PointInTime.compact(wallStart))-\(UInt32.random(in: 0...UInt32.max) % 100_000)"
        var record = ProofRecord(
            id: id, group: group.name, node: node.name, startedAt: Date(timeIntervalSince1970: wallStart),
            reason: reason)
        node.logger.notice("group \(group.name): proof \(id) starts (\(reason))")
        var snapshots: [ProofSnapshot] = []
        defer {
            let directories = snapshots.map(\.directory)
            if !directories.isEmpty {
                Task.detached { for directory in directories { ProofSnapshot.remove(directory) } }
            }
        }
        func finish(_ problem: String?) -> ProofRecord {
            record.problem = problem
            record.passed = problem == nil
            record.seconds = MonotonicClock.seconds() - started
            return record
        }
        guard geteuid() == 0 else {
            return finish("proofs need root (they make namespaces and mounts); this daemon runs as uid \(geteuid())")
        }
        let contexts = node.shares.of(group: group.name)
        guard !contexts.isEmpty else { return finish("the group has no shares on this node") }
        guard let age = replicaAge(group) else {
            return finish(
                "the replica has not been in step with \(group.primary) since this daemon started: its age is unknown")
        }
        record.rpoSeconds = age
        // Each share's snapshot under its gate: a consistent cut between two syncs, as archives take it.
        for context in contexts {
            var snapshot = ProofSnapshot(root: ProofSnapshot.proofDirectory(replica: context.localPath), id: id)
            snapshots.append(snapshot)
            let replica = context.localPath
            let ownership = node.identity.appliesOwnership
            let empty = snapshot
            do {
                snapshot = try await context.replicaGate.withExclusiveAccess {
                    try await onThread {
                        var taken = empty
                        try taken.take(replica: replica, applyOwnership: ownership)
                        return taken
                    }
                }
            } catch {
                return finish("cannot snapshot the replica of \(context.key): \(error)")
            }
            snapshots[snapshots.count - 1] = snapshot
            record.snapshotFiles += snapshot.files
            record.snapshotMethod = snapshot.method
        }
        let plan = Self.plan(group, node: node.name, contexts: contexts, snapshots: snapshots)
        let planPath = snapshots[0].directory + "/plan.json"
        do {
            try JSONEncoder().encode(plan).write(to: URL(fileURLWithPath: planPath))
        } catch {
            return finish("cannot write the proof's plan \(planPath): \(error)")
        }
        let limit =
            group.proof.timeout.seconds + Double(group.takeover.startScripts.count + group.takeover.stopScripts.count)
            * group.takeover.scriptTimeout.seconds + 30
        let outcome = await launcher.run(planPath: planPath, limit: limit)
        record.steps = outcome.steps
        record.checks = outcome.checks
        record.rtoSeconds = outcome.problem == nil ? outcome.rtoSeconds : nil
        return finish(outcome.problem)
    }

    /// The plan for `group`: each replica layered on its snapshot, /run and `proof_private` on themselves.
    static func plan(
        _ group: GroupConfiguration, node: String, contexts: [ShareContext], snapshots: [ProofSnapshot]
    ) -> ProofPlan {
        var layers: [ProofPlan.Layer] = zip(contexts, snapshots).map { context, snapshot in
            ProofPlan.Layer(
                target: context.localPath, lower: snapshot.lower, upper: snapshot.upper, work: snapshot.work)
        }
        let scratch = snapshots[0].directory
        let replicas = contexts.map(\.localPath)
        for (index, directory) in (ProofConfiguration.alwaysPrivate + group.proof.privateDirectories).enumerated() {
            // A directory that holds a replica or the scratch would hide them under its own layer.
            let inside = (replicas + [scratch]).contains { $0 == directory || $0.hasPrefix(directory + "/") }
            guard !inside, FileManager.default.fileExists(atPath: directory) else { continue }
            let base = scratch + "/private-\(index)"
            try? FileManager.default.createDirectory(atPath: base + "/upper", withIntermediateDirectories: true)
            try? FileManager.default.createDirectory(atPath: base + "/work", withIntermediateDirectories: true)
            layers.append(
                ProofPlan.Layer(target: directory, lower: directory, upper: base + "/upper", work: base + "/work"))
        }
        return ProofPlan(
            group: group.name, node: node, peer: group.peer(of: node), layers: layers,
            serviceAddress: group.takeover.serviceAddress?.description, start: group.takeover.startScripts,
            stop: group.takeover.stopScripts, scriptTimeout: group.takeover.scriptTimeout.seconds,
            checks: group.takeover.checks.map(ProofPlan.Check.init), timeout: group.proof.timeout.seconds)
    }

    /// Logs, records the event, and notifies when a group's proofs start failing or pass again.
    func report(_ record: ProofRecord) {
        let figures =
            "RPO \(record.rpoSeconds.map { String(format: "%.1f s", $0) } ?? "unknown"), RTO \(record.rtoSeconds.map { String(format: "%.1f s", $0) } ?? "unknown")"
        if record.passed {
            node.logger.notice("group \(record.group): proof \(record.id) passed: \(figures)")
            node.event(.info, .proofPassed, "proof \(record.id) passed: \(figures)")
            if failing.withLockedValue({ $0.remove(record.group) != nil }) {
                notify(
                    NotificationEvent(
                        kind: .proofRecovered, severity: .info, node: node.name, group: record.group,
                        topic: record.group, summary: "group \(record.group) is proven ready again on \(node.name)",
                        detail: "proof \(record.id) passed: \(figures)", time: node.clock.wallSeconds()))
            }
            return
        }
        let problem = record.problem ?? "no reason recorded"
        node.logger.error("group \(record.group): proof \(record.id) FAILED: \(problem)")
        node.event(.error, .proofFailed, "proof \(record.id) failed: \(problem)")
        if failing.withLockedValue({ $0.insert(record.group).inserted }) {
            let output = record.steps.filter { !$0.passed }.map {
                "\($0.name) (\($0.command)): \($0.summary)\n\($0.output)"
            }
            notify(
                NotificationEvent(
                    kind: .proofFailed, severity: .warning, node: node.name, group: record.group, topic: record.group,
                    summary: "group \(record.group) could not be proven on \(node.name)",
                    detail: ([problem] + output).joined(separator: "\n"), time: node.clock.wallSeconds()))
        }
    }
}
