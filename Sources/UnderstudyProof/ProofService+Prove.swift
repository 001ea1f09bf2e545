#if canImport(Glibc)
import Glibc
#endif
import Foundation
import UnderstudyCore
import UnderstudyFailover
import UnderstudyReplication
import UnderstudyState
import UnderstudySupport

extension ProofService {
    /// Proves `group` now and records the proof (`reason`: "schedule", "asked by NAME"). Throws only when the request
    /// cannot be taken (not followed here, one running, nothing to prove, a replica of unknown age); a proof that
    /// fails is a record too.
    package func prove(group name: String, reason: String) async throws(ProofError) -> ProofRecord {
        guard let group = node.currentGroup(name) else {
            let names = node.configuration.groups.keys.sorted().joined(separator: ", ")
            throw ProofError(.unknownGroup, "no group '\(name)' in the configuration; the groups are \(names)")
        }
        guard follows(name) else {
            let message =
                node.owns(group: name)
                ? "group '\(name)' is served by this node, \(node.name): it is proven on the node that follows it as its standby, \(group.peer(of: node.name)) (after a takeover, none is until the roles return)"
                : "group '\(name)' is proven on the node that follows it as its standby (\(group.standby) while \(group.primary) serves it): run `understudy verify \(name)` there"
            throw ProofError(.notFollower, message)
        }
        guard Self.provable(group) else {
            throw ProofError(
                .nothingToProve,
                "group '\(name)' has no start steps and no checks: a proof would show nothing; add [[groups.\(name).checks]]"
            )
        }
        guard replicaAge(group) != nil else {
            throw ProofError(
                .notInStep,
                "the replica of group '\(name)' has not been in step with \(group.peer(of: node.name)) since this daemon started: its age is unknown, so a proof could prove nothing of it; try again after its first sync (`understudy status`)"
            )
        }
        guard running.withLockedValue({ $0.insert(name).inserted }) else {
            throw ProofError(
                .busy, "a proof of group '\(name)' is running; its result will show in `understudy status`")
        }
        defer { _ = running.withLockedValue { $0.remove(name) } }
        attempted.withLockedValue { $0[name] = node.clock.wallSeconds() }
        let record = await performProof(group, reason: reason)
        lastProofs.withLockedValue { $0[name] = record }
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
        let started = node.now()
        let id = "\(group.name)-\(PointInTime.compact(wallStart))-\(UInt32.random(in: 0...UInt32.max) % 100_000)"
        var record = ProofRecord(
            id: id, group: group.name, node: node.name, startedAt: Date(timeIntervalSince1970: wallStart),
            reason: reason)
        node.logger.notice("group \(group.name): proof \(id) starts (\(reason))")
        var snapshots: [ProofSnapshot] = []
        func finish(_ problem: String?) async -> ProofRecord {
            await removeScratch(snapshots.map(\.directory))
            record.problem = problem
            record.passed = problem == nil
            record.seconds = node.now() - started
            return record
        }
        guard geteuid() == 0 else {
            return await finish(
                "proofs need root (they make namespaces and mounts); this daemon runs as uid \(geteuid())")
        }
        let contexts = node.shares.of(group: group.name)
        guard !contexts.isEmpty else { return await finish("the group has no shares on this node") }
        // Each share's snapshot under its gate: a consistent cut between two syncs, as archives take it. The replica's
        // age is read there too: what the snapshot holds is that old.
        var age = 0.0
        for context in contexts {
            let empty = ProofSnapshot(root: ProofSnapshot.proofDirectory(replica: context.localPath), id: id)
            snapshots.append(empty)
            let replica = context.localPath
            let ownership = node.identity.appliesOwnership
            do {
                let (snapshot, shareAge) = try await context.replicaGate.withExclusiveAccess {
                    let shareAge = self.replicaAge(group, share: context.shareName)
                    let snapshot = try await onThread {
                        var taken = empty
                        try taken.take(replica: replica, applyOwnership: ownership)
                        return taken
                    }
                    return (snapshot, shareAge)
                }
                snapshots[snapshots.count - 1] = snapshot
                record.snapshotFiles += snapshot.files
                record.snapshotMethod = snapshot.method
                guard let shareAge else {
                    return await finish("the replica of \(context.key) was found out of step while it was snapshot")
                }
                age = max(age, shareAge)
            } catch {
                return await finish("cannot snapshot the replica of \(context.key): \(error)")
            }
        }
        record.rpoSeconds = age
        let plan: ProofPlan
        do {
            let installer = ConfigInstaller(node: node.name, group: group, database: node.database)
            let (nodeName, taken) = (node.name, snapshots)
            plan = try await onThread {
                let configuration = installer.applies ? try installer.files() : []
                return try Self.plan(
                    group, node: nodeName, contexts: contexts, snapshots: taken, configuration: configuration)
            }
            record.configuration = plan.configurationVersions
            if !plan.configurationVersions.isEmpty {
                node.logger.info(
                    "group \(group.name): proof \(id) runs on the primary's configuration: \(plan.configurationVersions.joined(separator: ", "))"
                )
            }
        } catch let error as PlanProblem {
            return await finish(error.message)
        } catch {
            return await finish("cannot read this node's copy of the primary's configuration: \(error)")
        }
        let planPath = snapshots[0].directory + "/plan.json"
        do {
            try JSONEncoder().encode(plan).write(to: URL(fileURLWithPath: planPath))
        } catch {
            return await finish("cannot write the proof's plan \(planPath): \(error)")
        }
        let steps =
            group.takeover.startScripts.count + group.takeover.stopScripts.count
            + (group.proof.syntaxCheck == nil ? 0 : 1)
        let limit =
            group.proof.timeout.seconds + Double(steps) * group.takeover.scriptTimeout.seconds
            + group.takeover.checks.reduce(0) { $0 + $1.timeout.seconds } + 30
        let name = group.name
        let outcome = await launcher.run(
            planPath: planPath, limit: limit, keepGoing: { [node] in !node.owns(group: name) },
            stopReason: "this node began serving the group")
        record.steps = outcome.steps
        record.checks = outcome.checks
        record.rtoSeconds = outcome.problem == nil ? outcome.rtoSeconds : nil
        return await finish(outcome.problem)
    }

    /// Removes proofs' directories, off the cooperative pool; what cannot be removed is logged (its hard links keep
    /// old versions of replica files alive).
    func removeScratch(_ directories: [String]) async {
        guard !directories.isEmpty else { return }
        let logger = node.logger
        _ = try? await onThread {
            for directory in directories {
                do {
                    try ProofSnapshot.remove(directory)
                } catch {
                    logger.error("cannot remove the proof's directory \(directory): \(error); remove it by hand")
                }
            }
        }
    }

    /// Why a proof's plan cannot be made.
    struct PlanProblem: Error {
        var message: String
    }

    /// The plan for `group`: each replica layered on its snapshot, /run and `proof_private` on themselves, and the
    /// directories of the primary's configuration files (`configuration`, substituted) on layers that hold them.
    static func plan(
        _ group: GroupConfiguration, node: String, contexts: [ShareContext], snapshots: [ProofSnapshot],
        configuration: [ConfigInstaller.File] = []
    ) throws(PlanProblem) -> ProofPlan {
        // Paths as the kernel names the mounts: a layer on a path through a symbolic link is listed under the
        // link's target, and must be known by it.
        func real(_ path: String) -> String {
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            return resolved.count > 1 && resolved.hasSuffix("/") ? String(resolved.dropLast()) : resolved
        }
        var layers: [ProofPlan.Layer] = zip(contexts, snapshots).map { context, snapshot in
            ProofPlan.Layer(
                target: real(context.localPath), lower: snapshot.lower, upper: snapshot.upper, work: snapshot.work)
        }
        let scratch = snapshots[0].directory
        let kept = contexts.map { real($0.localPath) } + snapshots.map { real($0.directory) }
        for (index, directory) in (ProofConfiguration.alwaysPrivate + group.proof.privateDirectories).enumerated() {
            guard FileManager.default.fileExists(atPath: directory) else { continue }
            let resolved = real(directory)
            // A layer over a directory that holds a replica or the scratch would hide them under it.
            if let held = kept.first(where: { $0 == resolved || $0.hasPrefix(resolved + "/") }) {
                throw PlanProblem(
                    message:
                        "\(directory), which a proof keeps private, holds \(held): move the replica (or the proof's directory beside it) out of it, or take \(directory) out of proof_private"
                )
            }
            let base = scratch + "/private-\(index)"
            // The layer's root takes the upper directory's owner and mode: those of the directory it covers, so a
            // service that writes there as its own user (Postfix's /var/lib/postfix) still may.
            do throws(SystemFileWriter.Failure) {
                try makeDirectory(base, like: nil)
                try makeDirectory(base + "/upper", like: resolved)
                try makeDirectory(base + "/work", like: nil)
            } catch {
                throw PlanProblem(message: "cannot make the private layer of \(directory) in \(base): \(error)")
            }
            layers.append(
                ProofPlan.Layer(target: resolved, lower: resolved, upper: base + "/upper", work: base + "/work"))
        }
        let laid = try configurationLayers(configuration, scratch: scratch, kept: kept, privateLayers: layers)
        var plan = ProofPlan(
            group: group.name, node: node, peer: group.peer(of: node), layers: layers + laid.layers,
            serviceAddress: group.takeover.serviceAddress?.description, start: group.takeover.startScripts,
            stop: group.takeover.stopScripts, scriptTimeout: group.takeover.scriptTimeout.seconds,
            checks: group.takeover.checks.map(ProofPlan.Check.init), timeout: group.proof.timeout.seconds,
            syntaxCheck: group.proof.syntaxCheck)
        plan.binds = laid.binds
        plan.configurationVersions = configuration.map { "\($0.path) version \($0.version)" }
        return plan
    }

    /// Where the primary's configuration files (substituted) go in a proof, so that the services read them and the
    /// node's own files stay as they are: a file in a directory the proof keeps private is written into that
    /// layer's upper directory (the service may rewrite it there); a file the node has is bound over it (read-only,
    /// and no deeper stack of layers: the kernel stacks overlays two deep at most); the files the node lacks get a
    /// layer over their directory that holds them. Each file has the owner and mode of the node's own (0600 root
    /// when it has none); a layer's root those of the directory it covers.
    static func configurationLayers(
        _ files: [ConfigInstaller.File], scratch: String, kept: [String], privateLayers: [ProofPlan.Layer]
    ) throws(PlanProblem) -> (layers: [ProofPlan.Layer], binds: [ProofPlan.Bind]) {
        let byDirectory = Dictionary(grouping: files) { ($0.path as NSString).deletingLastPathComponent }
        var layers: [ProofPlan.Layer] = []
        var binds: [ProofPlan.Bind] = []
        for (index, directory) in byDirectory.keys.sorted().enumerated() {
            var info = stat()
            guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                throw PlanProblem(
                    message:
                        "the primary's configuration has \(byDirectory[directory]![0].path), but this node has no directory \(directory): is the service's package installed here?"
                )
            }
            let resolved = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
            if let held = kept.first(where: { $0 == resolved || $0.hasPrefix(resolved + "/") }) {
                throw PlanProblem(
                    message:
                        "\(directory), which holds a tracked configuration file, also holds \(held): move the replica out of it"
                )
            }
            let base = scratch + "/config-\(index)"
            do throws(SystemFileWriter.Failure) {
                if let layer = privateLayers.first(where: { $0.target == resolved }) {
                    for file in byDirectory[directory]! {
                        try place(file, into: layer.upper)
                    }
                    continue
                }
                try makeDirectory(base, like: nil)
                var missing: [ConfigInstaller.File] = []
                for file in byDirectory[directory]! {
                    var own = stat()
                    guard lstat(file.path, &own) == 0 else {
                        missing.append(file)
                        continue
                    }
                    guard (own.st_mode & S_IFMT) == S_IFREG || (own.st_mode & S_IFMT) == S_IFLNK else {
                        throw SystemFileWriter.Failure(
                            description: "the primary's \(file.path) is a file, this node's is not")
                    }
                    let source = base + "/" + (file.path as NSString).lastPathComponent
                    try place(file, at: source)
                    binds.append(ProofPlan.Bind(source: source, target: file.path))
                }
                guard !missing.isEmpty else { continue }
                try makeDirectory(base + "/upper", like: resolved)
                try makeDirectory(base + "/work", like: nil)
                for file in missing { try place(file, into: base + "/upper") }
                layers.append(
                    ProofPlan.Layer(target: resolved, lower: resolved, upper: base + "/upper", work: base + "/work"))
            } catch {
                throw PlanProblem(message: "cannot lay out the primary's configuration in \(base): \(error)")
            }
        }
        return (layers, binds)
    }

    private static func makeDirectory(_ path: String, like model: String?) throws(SystemFileWriter.Failure) {
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            throw SystemFileWriter.Failure(description: "cannot make \(path): \(errnoText(errno))")
        }
        var info = stat()
        if let model, stat(model, &info) == 0 {
            guard chown(path, info.st_uid, info.st_gid) == 0, chmod(path, info.st_mode & 0o7777) == 0 else {
                throw SystemFileWriter.Failure(description: "cannot give \(path) the owner of \(model)")
            }
        }
    }

    /// `file`'s content at `path`, with the owner and mode of the node's own file (0600 root when it has none).
    private static func place(_ file: ConfigInstaller.File, at path: String) throws(SystemFileWriter.Failure) {
        var info = stat()
        let own = stat(file.path, &info) == 0
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SystemFileWriter.Failure(description: "cannot create \(path): \(errnoText(errno))")
        }
        defer { close(descriptor) }
        var written = 0
        while written < file.content.count {
            let count = file.content[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else {
                throw SystemFileWriter.Failure(description: "cannot write \(path): \(errnoText(errno))")
            }
            written += count
        }
        if own {
            guard fchown(descriptor, info.st_uid, info.st_gid) == 0, fchmod(descriptor, info.st_mode & 0o7777) == 0
            else { throw SystemFileWriter.Failure(description: "cannot give \(path) the owner of \(file.path)") }
        }
    }

    private static func place(_ file: ConfigInstaller.File, into directory: String) throws(SystemFileWriter.Failure) {
        let target = directory + "/" + (file.path as NSString).lastPathComponent
        // What the private layer's upper directory holds of it already (nothing, in a fresh proof) is replaced.
        unlink(target)
        try place(file, at: target)
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
