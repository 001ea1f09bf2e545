import Logging
import NIOCore
import NIOSSL
import UnderstudyCore
import UnderstudyWire

/// The standby side of one group: connect to the primary (reconnecting with backoff after any failure), bring
/// every share to the source's state, then again every `resync_interval` or at once when asked.
struct StandbyGroupService: Sendable {
    let node: NodeRuntime
    let group: GroupConfiguration
    let tls: NIOSSLContext
    let requests: SyncRequests

    func run() async {
        let logger = node.logger
        guard let primary = node.configuration.nodes[group.primary] else { return }
        var backoff = 0.5
        var failedAttempts = 0
        while !Task.isCancelled {
            let connection: PeerConnection
            do {
                connection = try await PeerTransport.connect(host: primary.address.host, port: primary.address.port, tls: tls,
                                                             allowedNodes: [group.primary], cluster: node.configuration.cluster,
                                                             logger: logger)
                do {
                    _ = try await connection.peerNode.get()
                } catch {
                    try? await connection.channel.executeThenClose { _, _ in }
                    throw error
                }
            } catch {
                logger.warning("cannot reach primary \(group.primary) at \(primary.address) for group \(group.name): \(error); retrying in \(backoff)s")
                markDisconnected("\(error)")
                failedAttempts += 1
                // Askers wait through a short outage (a primary still starting); after a few attempts they are told.
                if failedAttempts >= 3 { answerWaiters(with: "primary \(group.primary) is not reachable: \(error)") }
                await requests.wait(seconds: backoff)
                backoff = min(backoff * 2, 30)
                continue
            }
            do {
                try await withTaskCancellationHandler {
                    try await connection.channel.executeThenClose { inbound, outbound in
                        let writer = FrameWriter(outbound: outbound)
                        var iterator = inbound.makeAsyncIterator()
                        try await PeerHandshake.exchange(inbound: &iterator, writer: writer, cluster: node.configuration.cluster,
                                                         node: node.name, certifiedPeer: group.primary)
                        logger.info("connected to primary \(group.primary) for group \(group.name)")
                        node.status.update(group: group.name) { $0.peerConnected = true }
                        backoff = 0.5
                        failedAttempts = 0
                        var retryDelay = 1.0
                        // Manifests sent on this connection: later syncs send only what changed since.
                        var sentManifests: [String: [ManifestEntry]] = [:]
                        var idleBefore = false
                        while !Task.isCancelled {
                            let waiters = await requests.takeWaiters()
                            let results: [SyncResult]
                            do {
                                results = try await syncAll(&iterator, writer, connection.counter, &sentManifests)
                            } catch where idleBefore && Self.isDroppedConnection(error) {
                                await requests.requeue(waiters)
                                throw error
                            } catch {
                                let failed = group.shares.map {
                                    SyncResult(group: group.name, share: $0.name, ok: false, seconds: 0, plan: nil, bytesReceived: 0,
                                               error: "\(error)")
                                }
                                for waiter in waiters { waiter.resume(returning: failed) }
                                throw error
                            }
                            for waiter in waiters { waiter.resume(returning: results) }
                            idleBefore = true
                            // Files that could not be applied (changed while read, disk full...) are retried soon,
                            // backing off so a lasting problem does not turn into a busy loop.
                            if results.allSatisfy(\.ok) {
                                retryDelay = 1
                                await requests.wait(seconds: group.resyncInterval.seconds)
                            } else {
                                await requests.wait(seconds: min(retryDelay, group.resyncInterval.seconds))
                                retryDelay = min(retryDelay * 2, 60)
                            }
                        }
                    }
                } onCancel: {
                    connection.channel.channel.close(promise: nil)
                }
            } catch {
                if Task.isCancelled { break }
                logger.warning("connection to primary \(group.primary) for group \(group.name) ended: \(error); reconnecting")
                markDisconnected("\(error)")
                // Askers of the failed sync were answered (or requeued) by the loop; new ones wait for the
                // reconnect, or are told after a few failed attempts.
                await requests.wait(seconds: backoff)
                backoff = min(backoff * 2, 30)
            }
        }
    }

    private func syncAll(_ iterator: inout NIOAsyncChannelInboundStream<PeerMessage>.AsyncIterator, _ writer: FrameWriter,
                         _ counter: ByteCounter, _ sentManifests: inout [String: [ManifestEntry]]) async throws -> [SyncResult] {
        var results: [SyncResult] = []
        for share in group.shares {
            guard let context = node.shareContexts[ShareKey(group: group.name, share: share.name)] else { continue }
            let sync = StandbyShareSync(context: context, applyOwnership: node.applyOwnership)
            do {
                var previous = sentManifests[share.name]
                let outcome = try await sync.run(inbound: &iterator, writer: writer, previous: &previous,
                                                 bytesReceived: { counter.bytesReceived })
                sentManifests[share.name] = previous
                let ok = outcome.report.failures == 0
                node.status.setProgress(group: group.name, share: share.name, nil)
                node.status.update(group: group.name, share: share.name) { status in
                    status.state = ok ? .inSync : .behind
                    status.lastSyncAt = .now
                    status.lastSyncSeconds = outcome.seconds
                    status.lastPlan = outcome.summary
                    status.bytesReceived += outcome.bytesReceived
                    status.filesTotal = 0
                    status.filesDone = 0
                    status.bytesTotal = 0
                    status.bytesDone = 0
                    status.lastError = ok ? nil : "\(outcome.report.failures) files could not be applied; retrying"
                }
                node.saveStatus(group: group.name, share: share.name)
                if let plan = outcome.summary, plan.operationCount > 0 || !ok {
                    node.logger.info("sync \(context.key) done in \(String(format: "%.3f", outcome.seconds))s: \(outcome.report.filesApplied) files applied, \(ByteCount.format(outcome.bytesReceived)) received, \(outcome.report.failures) failures")
                    node.event(ok ? "info" : "warning", "sync-finished",
                               "\(outcome.report.filesApplied) files applied, \(outcome.bytesReceived) bytes received, \(outcome.report.failures) failures",
                               share: context.key)
                }
                results.append(SyncResult(group: group.name, share: share.name, ok: ok, seconds: outcome.seconds,
                                          plan: outcome.summary, bytesReceived: outcome.bytesReceived,
                                          error: ok ? nil : "\(outcome.report.failures) files could not be applied"))
            } catch let error as PeerSessionError {
                if case .remote(.unknownShare, let text) = error {
                    recordFailure(share.name, text)
                    results.append(SyncResult(group: group.name, share: share.name, ok: false, seconds: 0, plan: nil,
                                              bytesReceived: 0, error: text))
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

    private func recordFailure(_ share: String, _ message: String) {
        node.status.setProgress(group: group.name, share: share, nil)
        node.status.update(group: group.name, share: share) { status in
            status.state = .error
            status.lastError = message
        }
        node.saveStatus(group: group.name, share: share)
        node.logger.error("sync \(group.name)/\(share) failed: \(message)")
        node.event("error", "sync-failed", message, share: "\(group.name)/\(share)")
    }

    private func markDisconnected(_ reason: String) {
        node.status.update(group: group.name) { status in
            status.peerConnected = false
            for index in status.shares.indices where status.shares[index].state != .error {
                status.shares[index].state = status.shares[index].lastSyncAt == nil ? .initialSync : .disconnected
            }
        }
    }

    private func answerWaiters(with error: String) {
        Task {
            let waiters = await requests.takeWaiters()
            let results = group.shares.map {
                SyncResult(group: group.name, share: $0.name, ok: false, seconds: 0, plan: nil, bytesReceived: 0, error: error)
            }
            for waiter in waiters { waiter.resume(returning: results) }
        }
    }

    /// The connection went away under us (rather than the primary refusing or the replica failing).
    static func isDroppedConnection(_ error: Error) -> Bool {
        if case .closed = error as? PeerSessionError { return true }
        return error is ChannelError || error is IOError
    }
}
