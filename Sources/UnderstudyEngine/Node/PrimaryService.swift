import CLinux
import Logging
import NIOCore
import NIOSSL
import UnderstudyCore
import UnderstudyWire

/// The primary's listener: accepts authenticated standbys and serves each share sync they ask for.
/// One connection may sync many shares, one after another.
struct PrimaryService: Sendable {
    let node: NodeRuntime
    let tls: NIOSSLContext

    func run(onListening: @Sendable (Int) -> Void = { _ in }) async throws {
        let configuration = node.configuration
        let address = node.nodeConfiguration.address
        let peers = Set(configuration.groups(whereNode: node.name).filter { $0.primary == node.name }.map(\.standby))
        let server = try await PeerTransport.listen(host: address.host, port: address.port, tls: tls, allowedNodes: peers,
                                                    cluster: configuration.cluster, logger: node.logger)
        let port = server.channel.localAddress?.port ?? address.port
        node.logger.info("listening for standbys on \(address.host):\(port)")
        onListening(port)
        try await withTaskCancellationHandler {
            try await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await serve(connection) }
                    }
                }
            }
        } onCancel: {
            server.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: PeerConnection) async {
        let remote = connection.channel.channel.remoteAddress.map { "\($0)" } ?? "unknown address"
        let peer: String
        do {
            peer = try await connection.peerNode.get()
        } catch {
            // PeerIdentityHandler logged the refusal; the async channel must still be finished.
            try? await connection.channel.executeThenClose { _, _ in }
            return
        }
        let logger = node.logger
        logger.info("standby \(peer) connected from \(remote)")
        setPeerConnected(peer, true)
        defer { setPeerConnected(peer, false) }
        do {
            try await withTaskCancellationHandler {
                try await connection.channel.executeThenClose { inbound, outbound in
                    let writer = FrameWriter(outbound: outbound)
                    var iterator = inbound.makeAsyncIterator()
                    try await PeerHandshake.exchange(node: node, writer: writer, peer: peer) { try await iterator.next() }
                    try await withThrowingTaskGroup(of: Void.self) { notices in
                        // Every change captured in a share this standby mirrors is announced at once, whatever the
                        // connection is doing; the standby opens a live sync for it as soon as it can.
                        for context in node.shareContexts.values where context.group.primary == node.name && context.group.standby == peer {
                            guard let capture = context.capture else { continue }
                            notices.addTask {
                                let (id, changes) = capture.changes()
                                defer { capture.unsubscribe(id) }
                                for await _ in changes {
                                    try await writer.sendNotice(.changesPending(group: context.group.name, share: context.share.name))
                                }
                            }
                        }
                        defer { notices.cancelAll() }
                        try await serveSyncs(peer: peer, iterator: &iterator, writer: writer)
                    }
                }
            } onCancel: {
                connection.channel.channel.close(promise: nil)
            }
            logger.info("standby \(peer) disconnected")
        } catch {
            logger.warning("connection with standby \(peer) ended: \(error)")
            node.event("warning", "peer-disconnected", "connection with standby \(peer) ended: \(error)")
        }
    }

    /// Serves the syncs the standby opens, one after another, until it disconnects.
    private func serveSyncs(peer: String, iterator: inout NIOAsyncChannelInboundStream<PeerMessage>.AsyncIterator,
                            writer: FrameWriter) async throws {
        let logger = node.logger
        // Replica manifests received on this connection: the base for incremental ones.
        var replicaManifests: [ShareKey: [String: ManifestEntry]] = [:]
        while let message = try await iterator.next() {
            guard case .openShare(let groupName, let shareName, let incremental, let verify, let resume) = message else {
                try await writer.send(.error(code: .unexpectedMessage, message: "expected openShare, got \(message.typeName)"))
                try await writer.flush()
                throw PeerSessionError.unexpected(message, "between syncs")
            }
            guard let context = node.shareContexts[ShareKey(group: groupName, share: shareName)],
                  context.group.primary == node.name, context.group.standby == peer else {
                let text = "share \(groupName)/\(shareName) is not one that \(node.name) serves to \(peer); check that both nodes use the same configuration"
                logger.warning("refused request from \(peer): \(text)")
                try await writer.send(.error(code: .unknownShare, message: text))
                try await writer.flush()
                continue
            }
            let key = ShareKey(group: groupName, share: shareName)
            if incremental && replicaManifests[key] == nil {
                let text = "incremental manifest for \(context.key) without an earlier one on this connection"
                try await writer.send(.error(code: .unexpectedMessage, message: text))
                try await writer.flush()
                throw PeerSessionError.refused(text)
            }
            // Without change capture (it could not start) every sync compares the whole share.
            let scope = context.capture?.scope(resume: verify ? nil : resume)
                ?? SyncScope(paths: nil, upTo: ResumePoint(captureID: 0, sequence: 0), captureComplete: false)
            try await writer.send(.syncScope(scope))
            try await writer.flush()
            writer.throttle = context.throttle
            let planner = SyncPlanner(options: .init(compareOwnership: node.applyOwnership))
            do {
                let outcome = try await PrimaryShareSync(context: context, planner: planner)
                    .run(inbound: &iterator, writer: writer, scope: scope, base: incremental ? replicaManifests[key] : nil, verify: verify)
                if let manifest = outcome.replicaManifest {
                    // The same rule as the standby's, so both keep a base or neither does.
                    replicaManifests[key] = manifest.count <= ManifestChanges.baseLimit ? manifest : nil
                    if manifest.count > 10_000 { understudy_release_free_memory() }
                }
                context.capture?.acknowledge(scope, failed: outcome.failedPaths)
                node.saveStatus(group: groupName, share: shareName)
            } catch {
                context.status.setProgress(group: groupName, share: shareName, nil)
                context.status.update(group: groupName, share: shareName) { $0.state = .error; $0.lastError = "\(error)" }
                logger.error("sync \(context.key) failed: \(error)")
                node.event("error", "sync-failed", "\(error)", share: context.key)
                node.saveStatus(group: groupName, share: shareName)
                // Tell the standby why, so its status shows the cause rather than a dropped connection.
                if !((error as? PeerSessionError)?.isPeerGone ?? false) {
                    try? await writer.send(.error(code: .internalError, message: "primary \(node.name) could not serve \(context.key): \(error)"))
                    try? await writer.flush()
                }
                throw error
            }
        }
    }

    private func setPeerConnected(_ peer: String, _ connected: Bool) {
        for group in node.configuration.groups(whereNode: node.name) where group.primary == node.name && group.standby == peer {
            node.status.update(group: group.name) { status in
                status.peerConnected = connected
                if !connected {
                    for index in status.shares.indices where status.shares[index].state != .error {
                        status.shares[index].state = .disconnected
                    }
                }
            }
        }
    }
}
