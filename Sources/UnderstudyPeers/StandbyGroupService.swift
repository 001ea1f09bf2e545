import CLinux
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import ServiceLifecycle
import UnderstudyCore
import UnderstudyDelta
import UnderstudyFileSystem
import UnderstudyRejoin
import UnderstudyReplication
import UnderstudySupport
import UnderstudyTransport
import UnderstudyWire

/// The following side of one group: connect to the node that holds it (the configured primary, or after a
/// takeover the other node; reconnecting with backoff after any failure, for as long as it takes), reconcile
/// first when this node's tree was the live data (`RejoinSession`), bring every share to the serving tree's
/// state, then follow its changes live.
struct StandbyGroupService: Service, Sendable {
    let node: any FollowingNode
    let group: GroupConfiguration
    let tls: NIOSSLContext
    let requests: SyncRequests
    /// What the heartbeats say of each link: the path to the holder is chosen by it.
    let links: any LinkViewSource
    /// On the group's off-site node, the node it follows (the one that feeds the off-site copy); nil: this node
    /// follows the group's holder.
    var feeder: String? = nil

    func run() async {
        let logger = node.logger
        // The off-site node follows the standby; while the standby cannot be reached, the group's primary (the chain
        // re-forms by itself), until the standby answers again.
        let candidates = followCandidates()
        var chosen = 0
        guard var route = mirrorRoute(to: candidates[chosen]) else { return }
        await CrashLeftovers.remove(group: group, node: node)
        var lastPath: MirrorRoute.Path?
        var moveReason: String?
        var backoff = 0.5
        var failedAttempts = 0
        var roundsFailed = 0
        while !Task.isCancelled && !node.owns(group: group.name) {
            let holder = candidates[chosen]
            let connection: PeerConnection
            let path = route.next(links: linkViews(of: holder))
            do {
                connection = try await PeerTransport.connect(
                    host: path.host, port: path.port, tls: tls,
                    allowedNodes: [holder], cluster: node.configuration.cluster,
                    logger: logger, localNode: node.name)
                do {
                    _ = try await connection.peerNode.get()
                } catch {
                    try? await connection.channel.executeThenClose { _, _ in }
                    throw error
                }
            } catch {
                route.attemptFailed()
                // Another path of this round is tried at once; when every path failed, the pause grows.
                let another = route.paths.count > 1 && route.hasUntriedPath(links: linkViews(of: holder))
                logger.warning(
                    "cannot reach \(holder) over \(path) for group \(group.name): \(NetworkFailure(error).text); \(another ? "trying another path" : "retrying in \(backoff)s")"
                )
                markDisconnected("\(error)")
                failedAttempts += 1
                // Askers wait through a short outage (a primary still starting); after a few attempts they are told.
                if failedAttempts >= 3 {
                    await answerWaiters(with: "\(holder), which serves group \(group.name), is not reachable: \(error)")
                }
                // Notices of a connection that is gone: the next one syncs every share.
                _ = await requests.takeLive()
                _ = await requests.takeConnectionEnded()
                if another { continue }
                roundsFailed += 1
                // A node asked only for its view (not the holder) gets one round.
                if candidates.count > 1,
                    roundsFailed >= Self.roundsBeforeAnotherFeeder || (feeder == nil && chosen != 0),
                    let next = mirrorRoute(to: candidates[(chosen + 1) % candidates.count])
                {
                    chosen = (chosen + 1) % candidates.count
                    route = next
                    roundsFailed = 0
                    backoff = 0.5
                    lastPath = nil
                    let nextNode = candidates[chosen]
                    logger.warning(
                        feeder != nil
                            ? "group \(group.name): \(holder) cannot be reached; the off-site copy follows \(nextNode) meanwhile"
                            : chosen == 0
                                ? "group \(group.name): \(holder) cannot be reached either; trying \(nextNode) again"
                                : "group \(group.name): \(holder) cannot be reached; asking \(nextNode) who holds the group"
                    )
                    continue
                }
                await requests.wait(seconds: backoff, beforeReconnect: true)
                backoff = min(backoff * 2, 30)
                continue
            }
            roundsFailed = 0
            route.connected()
            if feeder != nil { node.status.update(group: group.name) { $0.peer = holder } }
            if path != lastPath { reportPath(path, previous: lastPath, reason: moveReason, route: route) }
            lastPath = path
            moveReason = nil
            // Leaves the path when its link goes down, or for a preferred one that came back (see `MirrorRoute`).
            let watching = route
            let leaving = NIOLockedValueBox<String?>(nil)
            let handshaken = NIOLockedValueBox(false)
            do {
                try await withTaskCancellationHandler {
                    try await connection.channel.executeThenClose { inbound, outbound in
                        let writer = FrameWriter(outbound: outbound)
                        let inbox = PeerInbox()
                        try await withThrowingTaskGroup(of: Void.self) { reader in
                            _ = await requests.takeConnectionEnded()
                            reader.addTask {
                                await inbox.pump(inbound) { await noteChanges($0) }
                                await requests.noteConnectionEnded()
                            }
                            reader.addTask {
                                await watchPath(
                                    watching, of: holder, leaving: leaving, channel: connection.channel.channel)
                            }
                            if feeder != nil && holder != candidates[0] {
                                reader.addTask {
                                    await watchPreferredFeeder(
                                        candidates[0], leaving: leaving, channel: connection.channel.channel)
                                }
                            }
                            defer {
                                // The reader may be waiting for room in the inbox, or for bytes: end both.
                                inbox.fail(CancellationError())
                                connection.channel.channel.close(promise: nil)
                                reader.cancelAll()
                            }
                            try await PeerHandshake.exchange(node: node, writer: writer, peer: holder) {
                                try await inbox.next()
                            }
                            // A takeover stored a new ownership while this connected: the replica is the live data now.
                            guard !node.owns(group: group.name), !Task.isCancelled else { throw CancellationError() }
                            if feeder == nil && holder != candidates[0] {
                                // Asked only for its view of the group (the holder is out of reach): a newer ownership
                                // it told restarts this follower towards the new holder.
                                try await probed(holder, leaving: leaving)
                            }
                            logger.info(
                                "connected to \(holder), which \(feeder == nil ? "serves" : "feeds the off-site copy of") group \(group.name)"
                            )
                            let rejoin = RejoinSession(node: node, group: group)
                            // The off-site node reconciles only after it held the group, and only with its holder.
                            if feeder == nil || holder == node.ownership(group: group.name)?.owner,
                                try rejoin.pendingEpoch() != nil
                            {
                                try await rejoin.run(inbox: inbox, writer: writer)
                            }
                            node.status.update(group: group.name) {
                                $0.peerConnected = true
                                $0.disconnectedAt = nil
                            }
                            failedAttempts = 0
                            handshaken.withLockedValue { $0 = true }
                            // The pause before a reconnect grows until a connection proves healthy: one that fails
                            // every time after its handshake (a sync the primary refuses) is not retried twice a second.
                            try await follow(
                                inbox: inbox, writer: writer, counter: connection.counter, healthy: { backoff = 0.5 })
                        }
                    }
                } onCancel: {
                    connection.channel.channel.close(promise: nil)
                }
            } catch {
                if Task.isCancelled { break }
                route.disconnected()
                if let reason = leaving.withLockedValue({ $0 }) {
                    // Left on purpose: over another path at once, resuming from the last acknowledged change.
                    logger.notice("the mirror of group \(group.name) leaves \(path): \(reason)")
                    moveReason = reason
                    if holder != candidates[0],
                        reason.hasPrefix(Self.preferredFeederBack) || reason.hasPrefix(Self.probeAnswered),
                        let back = mirrorRoute(to: candidates[0])
                    {
                        chosen = 0
                        route = back
                        lastPath = nil
                    }
                    _ = await requests.takeLive()
                    _ = await requests.takeConnectionEnded()
                    continue
                }
                logger.warning("connection to \(holder) for group \(group.name) ended: \(error); reconnecting")
                markDisconnected("\(error)")
                // The serving node went away (it restarted, a cable): not a failure that repeats, so no growing pause.
                // A connection that failed on its own (a refused sync, a bad frame) keeps it growing.
                if handshaken.withLockedValue({ $0 }), NetworkFailure.peerGone(error) != nil { backoff = 0.5 }
                // Askers of the failed sync were answered (or requeued) by the loop; new ones wait for the
                // reconnect, or are told after a few failed attempts.
                _ = await requests.takeLive()
                _ = await requests.takeConnectionEnded()
                await requests.wait(seconds: backoff, beforeReconnect: true)
                backoff = min(backoff * 2, 30)
            }
        }
    }

    /// A notice from the primary: changes wait in `share`.
    private func noteChanges(_ message: PeerMessage) async {
        guard case .changesPending(let groupName, let share) = message, groupName == group.name else { return }
        let now = node.now()
        node.status.updateLive(group: group.name, share: share) { figures in
            if figures.oldestPendingAt == nil { figures.oldestPendingAt = now }
            figures.changesPending = max(figures.changesPending, 1)
        }
        await requests.noteChanges(share: share, at: now)
    }

    /// `resync_interval` and `verify_interval` (seconds) as the node runs them now: a reload may have changed them
    /// (`ShareSettings`), and the next comparison is counted from the last one with the new values.
    private func currentIntervals() -> (resync: Double, verify: Double) {
        let settings = node.currentGroup(group.name) ?? group
        return (settings.resyncInterval.seconds, settings.verifyInterval.seconds)
    }

    /// One connection's life: bring every share up to date (only what changed since the acknowledged point,
    /// where the primary can tell), then follow the primary's notices, compare whole trees every
    /// `resync_interval`, and answer `understudy sync` with a full comparison.
    /// - Parameter healthy: called once every share synced without a failure on this connection.
    private func follow(inbox: PeerInbox, writer: FrameWriter, counter: ByteCounter, healthy: () -> Void) async throws {
        var session = FollowSession()
        for share in group.shares {
            session.resumePoints[share.name] = try? node.database.loadResumePoint(share: "\(group.name)/\(share.name)")
        }
        var needLive = Set(group.shares.map(\.name))
        // When the last full comparison and verification were (or the connection started): a reload that changes the
        // intervals counts from them (`currentIntervals`).
        var (lastFull, lastVerify) = (node.now(), node.now())
        var (nextFull, nextVerify) = (lastFull, lastVerify)
        var retryDelay = 1.0
        var idleBefore = false
        var caughtUp = false
        while !Task.isCancelled {
            let intervals = currentIntervals()
            nextFull = lastFull + (session.captureComplete ? intervals.resync : min(intervals.resync, 60))
            nextVerify = lastVerify + intervals.verify
            let outOfRoom = sharesOutOfRoom()
            if !outOfRoom.isEmpty {
                try await waitForRoom(outOfRoom)
                needLive.formUnion(outOfRoom.map(\.share.name))
            }
            if needLive.isEmpty { await requests.wait(seconds: max(0, min(nextFull, nextVerify) - node.now())) }
            if await requests.takeConnectionEnded() { throw PeerSessionError.closed("while idle") }
            let waiters = await requests.fullRequested ? await requests.takeWaiters() : []
            needLive.formUnion(await requests.takeLive().keys)
            let verify = node.now() >= nextVerify
            let full = verify || !waiters.isEmpty || node.now() >= nextFull
            let shares = full ? group.shares.map(\.name) : group.shares.map(\.name).filter(needLive.contains)
            needLive.removeAll()
            guard !shares.isEmpty else { continue }
            let results: [SyncResult]
            do {
                results = try await sync(
                    shares, full: full, verify: verify, inbox: inbox, writer: writer, counter: counter,
                    session: &session)
            } catch  where idleBefore && Self.isDroppedConnection(error) {
                await requests.requeue(waiters)
                throw error
            } catch {
                let code = Self.code(of: error)
                let failed = group.shares.map {
                    SyncResult(
                        group: group.name, share: $0.name, ok: false, seconds: 0, plan: nil, bytesReceived: 0,
                        error: "\(error)", code: code)
                }
                for waiter in waiters { waiter.resume(returning: failed) }
                throw error
            }
            for waiter in waiters { waiter.resume(returning: results) }
            if !caughtUp && results.count == group.shares.count && results.allSatisfy(\.ok) {
                // In step with the serving node: from now on this node may take the group over again.
                caughtUp = true
                healthy()
                if feeder == nil { node.rejoined(group: group.name) }
            }
            idleBefore = true
            if verify { lastVerify = node.now() }
            if full {
                // While the primary cannot see every change (watch limit), whole trees are compared every minute.
                lastFull = node.now()
                let interval =
                    session.captureComplete ? currentIntervals().resync : min(currentIntervals().resync, 60)
                nextFull = lastFull + interval
            }
            // Files that could not be applied (changed while read, disk full...) are retried by a live sync soon,
            // backing off so a lasting problem does not turn into a busy loop.
            let failed = results.filter { !$0.ok }.map(\.share)
            if failed.isEmpty || !sharesOutOfRoom().isEmpty {
                retryDelay = 1
            } else {
                await requests.wait(seconds: min(retryDelay, max(0, nextFull - node.now())))
                if await requests.takeConnectionEnded() { throw PeerSessionError.closed("while waiting to retry") }
                retryDelay = min(retryDelay * 2, 60)
                needLive.formUnion(failed)
            }
        }
    }

    private func sync(
        _ shares: [String], full: Bool, verify: Bool, inbox: PeerInbox, writer: FrameWriter, counter: ByteCounter,
        session: inout FollowSession
    ) async throws -> [SyncResult] {
        var results: [SyncResult] = []
        for share in group.shares where shares.contains(share.name) {
            guard let context = node.shares[group: group.name, share: share.name] else { continue }
            if let refusal = adoptionRefusal(context) {
                results.append(
                    SyncResult(
                        group: group.name, share: share.name, ok: false, seconds: 0, plan: nil, bytesReceived: 0,
                        error: refusal, code: "replica-not-adopted"))
                continue
            }
            let sync = StandbyShareSync(
                context: context, applyOwnership: node.identity.appliesOwnership, dictionaries: session.dictionaries)
            do {
                var previous = session.sentManifests[share.name]
                let outcome = try await sync.run(
                    inbox: inbox, writer: writer, previous: &previous,
                    resume: full ? nil : session.resumePoints[share.name], verify: verify,
                    bytesReceived: { counter.bytesReceived })
                session.sentManifests[share.name] = previous
                if outcome.scope.upTo.captureID != 0 { session.resumePoints[share.name] = outcome.scope.upTo }
                session.captureComplete = outcome.scope.captureComplete
                let isLive = outcome.scope.paths != nil
                // A large full comparison leaves tens of MiB of freed heap that glibc would keep.
                if !isLive && outcome.entriesCompared > 10_000 { understudy_release_free_memory() }
                let ok = outcome.report.failures == 0
                if ok { noteRoom(context) }
                let pendingSince = await requests.pendingSince(share: share.name)
                node.status.updateLive(group: group.name, share: share.name) { figures in
                    figures.oldestPendingAt = pendingSince
                    figures.changesPending = pendingSince == nil ? 0 : 1
                }
                node.status.recordTransfer(
                    group: group.name, share: share.name, bytes: outcome.bytesReceived, at: node.now())
                node.status.setProgress(group: group.name, share: share.name, nil)
                let syncedAt = node.clock.wallTime()
                node.status.update(group: group.name, share: share.name) { status in
                    status.state = ok ? .inSync : .behind
                    status.lastSyncAt = syncedAt
                    status.lastSyncSeconds = outcome.seconds
                    status.lastPlan = outcome.summary
                    status.bytesReceived += outcome.bytesReceived
                    status.filesTotal = 0
                    status.filesDone = 0
                    status.bytesTotal = 0
                    status.bytesDone = 0
                    status.lastError = ok ? nil : "\(outcome.report.failures) files could not be applied; retrying"
                    if isLive { status.liveSyncs += 1 } else { status.fullSyncs += 1 }
                }
                Metrics.Timer(
                    label: "understudy_replication_sync_duration_seconds",
                    dimensions: [("group", group.name), ("share", share.name), ("kind", isLive ? "live" : "full")]
                ).recordNanoseconds(Int64(max(0, outcome.seconds) * 1e9))
                // A live sync runs for every burst of changes: its figures are kept in memory and logged at debug
                // level; full comparisons and failures are saved, logged and recorded as events.
                if !isLive || !ok { node.saveStatus(group: group.name, share: share.name) }
                if let plan = outcome.summary, (plan.operationCount > 0 && !isLive) || plan.files > 100 || !ok {
                    node.logger.info(
                        "sync \(context.key) done in \(String(format: "%.3f", outcome.seconds))s: \(outcome.report.filesApplied) files applied, \(ByteCount.format(outcome.bytesReceived)) received, \(outcome.report.failures) failures"
                    )
                    node.event(
                        ok ? .info : .warning, .syncFinished,
                        "\(outcome.report.filesApplied) files applied, \(outcome.bytesReceived) bytes received, \(outcome.report.failures) failures",
                        share: context.key)
                } else if let plan = outcome.summary, plan.operationCount > 0 {
                    node.logger.debug(
                        "live sync \(context.key) done in \(String(format: "%.3f", outcome.seconds))s: \(outcome.report.filesApplied) files applied, \(ByteCount.format(outcome.bytesReceived)) received"
                    )
                }
                results.append(
                    SyncResult(
                        group: group.name, share: share.name, ok: ok, seconds: outcome.seconds,
                        plan: outcome.summary, bytesReceived: outcome.bytesReceived,
                        error: ok ? nil : "\(outcome.report.failures) files could not be applied",
                        code: ok ? nil : "apply-failed"))
            } catch let error as PeerSessionError {
                if case .remote(.unknownShare, let text) = error {
                    recordFailure(share.name, text)
                    results.append(
                        SyncResult(
                            group: group.name, share: share.name, ok: false, seconds: 0, plan: nil,
                            bytesReceived: 0, error: text, code: "unknown-share"))
                    continue
                }
                recordFailure(share.name, "\(error)")
                throw error
            } catch {
                // A local failure (replica not writable, disk full...): reported, retried; the connection goes on only
                // if the protocol is still in step, which it is not mid-sync, so reconnect.
                recordFailure(share.name, "\(error)")
                throw error
            }
        }
        return results
    }

    /// Why this node must not mirror into the share's replica yet (see `ReplicaAdoption`), or nil. Only the configured
    /// standby's replica is checked: the configured primary's tree is its own data, which a rejoin reconciles.
    private func adoptionRefusal(_ context: ShareContext) -> String? {
        guard group.standby == node.name || feeder != nil else { return nil }
        return ReplicaAdoptionGate.refusal(context, node: node) { recordFailure(context.shareName, $0) }
    }

    func recordFailure(_ share: String, _ message: String) {
        node.status.setProgress(group: group.name, share: share, nil)
        node.status.update(group: group.name, share: share) { status in
            status.state = .error
            status.lastError = message
        }
        node.saveStatus(group: group.name, share: share)
        node.logger.error("sync \(group.name)/\(share) failed: \(message)")
        node.event(.error, .syncFailed, message, share: "\(group.name)/\(share)")
    }

    private func markDisconnected(_ reason: String) {
        let now = node.clock.wallTime()
        node.status.update(group: group.name) { status in
            // The replica stopped following when the connection ended, not at each failed reconnect (before the first
            // connection, its last sync says how old it is).
            if status.peerConnected { status.disconnectedAt = now }
            status.peerConnected = false
            for index in status.shares.indices where status.shares[index].state != .error {
                status.shares[index].state = status.shares[index].lastSyncAt == nil ? .initialSync : .disconnected
            }
        }
    }

    private func answerWaiters(with error: String) async {
        let waiters = await requests.takeWaiters()
        let results = group.shares.map {
            SyncResult(
                group: group.name, share: $0.name, ok: false, seconds: 0, plan: nil, bytesReceived: 0, error: error,
                code: "peer-unreachable")
        }
        for waiter in waiters { waiter.resume(returning: results) }
    }

    /// The code of a sync that failed with `error`: what the serving node reported, a connection that went away, or
    /// the code of a local failure (the replica's file system, the state database).
    static func code(of error: Error) -> String {
        if case .remote(let code, _) = error as? PeerSessionError { return code.name }
        if isDroppedConnection(error) { return "disconnected" }
        return (error as? any CodedError)?.errorCode ?? "failed"
    }

    /// The connection went away under us (rather than the primary refusing or the replica failing).
    static func isDroppedConnection(_ error: Error) -> Bool {
        if case .closed = error as? PeerSessionError { return true }
        return error is ChannelError || error is IOError
    }
}

/// What a standby keeps about one connection's syncs.
struct FollowSession {
    /// Manifests sent for full comparisons on this connection: later ones send only what changed since.
    var sentManifests: [String: [ManifestEntry]] = [:]
    /// How far into the primary's change journal each replica is durable.
    var resumePoints: [String: ResumePoint] = [:]
    var captureComplete = true
    /// The zstd dictionaries the primary sent on this connection.
    let dictionaries = CompressionDictionaries()
}
