import Metrics
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyReplication
import UnderstudySupport

/// The standby's side of an agentless group (its primary runs no understudy): every `scan_interval`, and when
/// `understudy sync` asks, each share's source (the mount of the primary's directory on this node) is scanned into
/// its replica by `AgentlessShareSync`; every `verify_interval` the scan also compares content. It runs while the
/// primary holds the group, and stops (as any follower) when this node takes it over: from then on the replica is
/// the live data, and nothing is copied over it.
struct AgentlessGroupService: Sendable {
    let node: any FollowingNode
    let group: GroupConfiguration
    let requests: SyncRequests

    func run() async {
        await CrashLeftovers.remove(group: group, node: node)
        node.logger.info(
            "group \(group.name): its primary \(group.primary) runs no understudy; this node scans its mounts every \(group.resyncInterval) into the replicas"
        )
        for share in group.shares {
            node.status.updateLive(group: group.name, share: share.name) { $0.captureBackend = "scan" }
        }
        var lastVerify = node.now()
        var caughtUp = false
        // Each share's failure last told: a primary down for an hour is one error, not one every scan.
        var told: [String: String] = [:]
        while !Task.isCancelled && !node.owns(group: group.name) {
            let settings = node.currentGroup(group.name) ?? group
            let waiters = await requests.fullRequested ? await requests.takeWaiters() : []
            let verify = node.now() >= lastVerify + settings.verifyInterval.seconds
            let results = await scan(settings, verify: verify, told: &told)
            for waiter in waiters { waiter.resume(returning: results) }
            if Task.isCancelled { break }
            if verify { lastVerify = node.now() }
            let reachable = results.allSatisfy { $0.code != NodeErrorCode.agentlessSourceMissing.rawValue }
            let now = node.clock.wallTime()
            node.status.update(group: group.name) { status in
                if status.peerConnected && !reachable { status.disconnectedAt = now }
                if reachable { status.disconnectedAt = nil }
                status.peerConnected = reachable
            }
            if !caughtUp && !results.isEmpty && results.allSatisfy(\.ok) {
                // In step with the primary: from now on this node may take the group over.
                caughtUp = true
                node.rejoined(group: group.name)
            }
            await requests.wait(seconds: settings.resyncInterval.seconds)
            // Notices of live changes and connections do not exist here; the scan finds every change.
            _ = await requests.takeLive()
            _ = await requests.takeConnectionEnded()
        }
    }

    /// One scan of every share (as the group is configured now: a reload may have added or removed shares).
    private func scan(_ settings: GroupConfiguration, verify: Bool, told: inout [String: String]) async -> [SyncResult]
    {
        var results: [SyncResult] = []
        for share in settings.shares {
            guard !Task.isCancelled, let context = node.shares[group: group.name, share: share.name] else { continue }
            var refused: String?
            if let refusal = ReplicaAdoptionGate.refusal(context, node: node, recordFailure: { refused = $0 }) {
                if let refused { fail(context, refused, told: &told) }
                results.append(failed(share.name, refusal, code: "replica-not-adopted"))
                continue
            }
            let sync = AgentlessShareSync(context: context, applyOwnership: node.identity.appliesOwnership)
            do {
                let (node, name) = (node, group.name)
                let outcome = try await sync.run(verify: verify) { node.owns(group: name) }
                results.append(record(outcome, context: context))
                if told.removeValue(forKey: context.key) != nil {
                    node.logger.notice("scan \(context.key) works again")
                }
            } catch  where error is CancellationError || Task.isCancelled || node.owns(group: group.name) {
                // A takeover or the daemon's stop ended the scan (the walk says so as ECANCELED): not a failure.
                break
            } catch {
                let code = (error as? any CodedError)?.errorCode ?? "failed"
                fail(context, "\(error)", told: &told)
                results.append(failed(share.name, "\(error)", code: code))
            }
        }
        return results
    }

    private func record(_ outcome: AgentlessShareSync.Outcome, context: ShareContext) -> SyncResult {
        let ok = outcome.report.failures == 0
        let syncedAt = node.clock.wallTime()
        if context.pathWarnings.isNew("mount \(outcome.mount.type) \(outcome.mount.source)") {
            node.logger.info(
                "\(context.key): the source \(context.share.source) is on \(outcome.mount.type) \(outcome.mount.source) (mounted at \(outcome.mount.path))"
            )
        }
        node.status.recordTransfer(
            group: group.name, share: context.shareName, bytes: outcome.bytesRead, at: node.now())
        node.status.update(group: group.name, share: context.shareName) { status in
            status.state = ok ? .inSync : .behind
            status.lastSyncAt = syncedAt
            status.lastSyncSeconds = outcome.seconds
            status.lastPlan = outcome.summary
            status.bytesReceived += outcome.bytesRead
            status.lastError =
                ok ? nil : "\(outcome.report.failures) files could not be copied; the next scan tries again"
            status.fullSyncs += 1
        }
        Metrics.Timer(
            label: "understudy_replication_sync_duration_seconds",
            dimensions: [("group", group.name), ("share", context.shareName), ("kind", "scan")]
        ).recordNanoseconds(Int64(max(0, outcome.seconds) * 1e9))
        if outcome.summary.operationCount > 0 || !ok {
            node.saveStatus(group: group.name, share: context.shareName)
            node.logger.info(
                "scan \(context.key) done in \(String(format: "%.3f", outcome.seconds))s: \(outcome.report.filesApplied) files copied (\(ByteCount.format(outcome.bytesRead)) read), \(outcome.summary.directories) directories, \(outcome.summary.renames) renames, \(outcome.summary.deletions) deletions, \(outcome.report.failures) failures"
            )
            node.event(
                ok ? .info : .warning, .syncFinished,
                "scan of the primary's mount: \(outcome.report.filesApplied) files copied, \(outcome.bytesRead) bytes read, \(outcome.report.failures) failures",
                share: context.key)
        }
        return SyncResult(
            group: group.name, share: context.shareName, ok: ok, seconds: outcome.seconds, plan: outcome.summary,
            bytesReceived: outcome.bytesRead, error: ok ? nil : "\(outcome.report.failures) files could not be copied",
            code: ok ? nil : "apply-failed")
    }

    /// A scan that failed: the share's status says why; logged and recorded when the reason is new (a primary down
    /// for an hour is one error, not one every scan).
    private func fail(_ context: ShareContext, _ message: String, told: inout [String: String]) {
        node.status.update(group: group.name, share: context.shareName) { status in
            status.state = .error
            status.lastError = message
        }
        guard told.updateValue(message, forKey: context.key) != message else {
            node.logger.debug("scan \(context.key) failed again: \(message)")
            return
        }
        node.saveStatus(group: group.name, share: context.shareName)
        node.logger.error("scan \(context.key) failed: \(message)")
        node.event(.error, .syncFailed, message, share: context.key)
    }

    private func failed(_ share: String, _ error: String, code: String) -> SyncResult {
        SyncResult(
            group: group.name, share: share, ok: false, seconds: 0, plan: nil, bytesReceived: 0, error: error,
            code: code)
    }
}
