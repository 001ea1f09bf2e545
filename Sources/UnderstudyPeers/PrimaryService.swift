import CLinux
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import ServiceLifecycle
import UnderstudyCore
import UnderstudyReplication
import UnderstudySession
import UnderstudySupport
import UnderstudyTransport
import UnderstudyWire

/// The serving side's listener: accepts the authenticated peer of each group and serves the share syncs (and
/// rejoins) it asks for, for the groups this node holds now. Every node listens: after a takeover the standby
/// serves and the old primary follows it. One connection may sync many shares, one after another.
package struct PrimaryService: Service, Sendable {
    let node: any ServingNode
    let tls: NIOSSLContext
    /// Runs the switchovers and failbacks the peer asks for over the wire.
    let switchovers: any SwitchoverDesk
    /// The console's users and tokens, which a peer offers and this node answers with its own; nil: not kept.
    let users: (any UsersExchange)?
    /// The tracked configuration a follower asks for; nil: none kept here.
    let configuration: (any ConfigExchange)?
    /// Trains the small-file dictionaries of the hops to off-site nodes; nil: small files go without one.
    let dictionaries: DictionaryTrainer?
    /// Called with the bound port once the listener is up (tests bind port 0).
    let onListening: @Sendable (Int) -> Void
    private let connections = NIOLockedValueBox<[String: Int]>([:])

    package init(
        node: any ServingNode, tls: NIOSSLContext, switchovers: any SwitchoverDesk, users: (any UsersExchange)? = nil,
        configuration: (any ConfigExchange)? = nil, dictionaries: DictionaryTrainer? = nil,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.users = users
        self.configuration = configuration
        self.dictionaries = dictionaries
        self.node = node
        self.tls = tls
        self.switchovers = switchovers
        self.onListening = onListening
    }

    /// Listens and serves until cancelled or shut down gracefully.
    package func run() async throws {
        try await cancelWhenGracefulShutdown { try await listen() }
    }

    private func listen() async throws {
        let configuration = node.configuration
        let address = node.identity.settings.address
        // Every node a group is shared with: its peer, its off-site node, and (on the off-site node, which may hold a
        // group after a recovery-site takeover) its primary and standby.
        // Read for each connection: a reload may add or remove a group, and with it a peer.
        let peers: @Sendable () -> Set<String> = { [node] in
            Set(node.configuration.groups(withMember: node.name).flatMap(\.members)).subtracting([node.name])
        }
        let refusals = RefusalLog(logger: node.logger)
        let server = try await PeerTransport.listen(
            host: address.host, port: address.port, tls: tls, allowing: peers,
            cluster: configuration.cluster, logger: node.logger, localNode: node.name,
            refusals: refusals)
        let port = server.channel.localAddress?.port ?? address.port
        node.logger.info("listening for peers on \(address.host):\(port)")
        onListening(port)
        // The mirror may come over any link (see `MirrorRoute`): the same port on each link address this node has.
        let extra = Self.linkHosts(node.identity.settings)
        try await withThrowingDiscardingTaskGroup { listeners in
            listeners.addTask { await refusals.run() }
            for host in extra {
                listeners.addTask { await listenOnLink(host: host, port: port, peers: peers, refusals: refusals) }
            }
            try await accept(server)
            listeners.cancelAll()
        }
    }

    /// The link addresses to listen on besides `address`: those of links the mirror may use, unless `address` is a
    /// wildcard (which covers them) or one of them.
    static func linkHosts(_ node: NodeConfiguration) -> [String] {
        guard !["0.0.0.0", "::", "[::]"].contains(node.address.host) else { return [] }
        return Array(Set(node.links.filter { $0.mirror && $0.address != node.address.host }.map(\.address))).sorted()
    }

    private func accept(_ server: NIOAsyncChannel<PeerConnection, Never>) async throws {
        try await AcceptLoop.run(server, close: { try? await $0.channel.executeThenClose { _, _ in } }) { connection in
            await serve(connection)
        }
    }

    /// Listens on one link address until cancelled; an address not (yet) on this machine is tried again every 5 s.
    private func listenOnLink(
        host: String, port: Int, peers: @escaping @Sendable () -> Set<String>, refusals: RefusalLog
    ) async {
        var told = false
        while !Task.isCancelled {
            do {
                let server = try await PeerTransport.listen(
                    host: host, port: port, tls: tls, allowing: peers,
                    cluster: node.configuration.cluster, logger: node.logger,
                    localNode: node.name, refusals: refusals)
                node.logger.info("listening for peers on \(host):\(port) too (a link the mirror may take)")
                told = false
                try await accept(server)
            } catch {
                if Task.isCancelled { return }
                if !told {
                    node.logger.warning(
                        "cannot listen for peers on \(host):\(port): \(error); the mirror cannot come over that link until it can (retrying every 5 s)"
                    )
                    told = true
                }
            }
            try? await Task.sleep(for: .seconds(5))
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
                    try await PeerHandshake.exchange(node: node, writer: writer, peer: peer) {
                        try await iterator.next()
                    }
                    try await withThrowingTaskGroup(of: Void.self) { notices in
                        // Every change captured in a share this standby mirrors is announced at once, whatever the
                        // connection is doing; the standby opens a live sync for it as soon as it can.
                        notices.addTask { try await announceChanges(to: peer, writer: writer) }
                        defer { notices.cancelAll() }
                        try await serveSyncs(peer: peer, iterator: &iterator, writer: writer)
                    }
                }
            } onCancel: {
                connection.channel.channel.close(promise: nil)
            }
            logger.info("standby \(peer) disconnected")
        } catch {
            let reason = NetworkFailure.peerGone(error) ?? "\(error)"
            logger.warning("connection with standby \(peer) ended: \(reason)")
            node.event(.warning, .peerDisconnected, "connection with standby \(peer) ended: \(reason)")
        }
    }

    /// Announces each change captured in every live share `peer` mirrors, until cancelled. The capture starts when
    /// this node takes the group (perhaps after the peer connected) and is replaced at each takeover: each one is
    /// subscribed to while it runs. A share a reload adds is subscribed to within a second; one it removes is let go.
    private func announceChanges(to peer: String, writer: FrameWriter) async throws {
        try await withThrowingDiscardingTaskGroup { announcers in
            // Each share announced, by key, with the settings of the context announced (a share removed and added
            // again is another context).
            var announced: [String: ShareSettings] = [:]
            var version = -1
            while !Task.isCancelled {
                if node.shares.version != version {
                    version = node.shares.version
                    for context in node.shares.all
                    where context.group.live && context.group.members.contains(peer) && peer != node.name
                        && announced[context.key] !== context.settings
                    {
                        announced[context.key] = context.settings
                        announcers.addTask { try await announce(context, to: peer, writer: writer) }
                    }
                }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Announces the changes of one share's capture while the share is in the node's table as `context`.
    private func announce(_ context: ShareContext, to peer: String, writer: FrameWriter) async throws {
        while !Task.isCancelled,
            node.shares[group: context.groupName, share: context.shareName]?.settings === context.settings
        {
            guard let feed = servedFeed(context, peer: peer) else {
                try await Task.sleep(nanoseconds: 50_000_000)
                continue
            }
            let (id, changes) = feed.changes()
            defer { feed.unsubscribe(id) }
            for await _ in changes {
                try await writer.sendNotice(.changesPending(group: context.groupName, share: context.shareName))
            }
        }
    }

    /// Serves the syncs the standby opens, one after another, until it disconnects.
    private func serveSyncs(
        peer: String, iterator: inout NIOAsyncChannelInboundStream<PeerMessage>.AsyncIterator,
        writer: FrameWriter
    ) async throws {
        let logger = node.logger
        // Replica manifests received on this connection: the base for incremental ones.
        var replicaManifests: [ShareKey: [String: ManifestEntry]] = [:]
        let dictionaryOffer = DictionaryOffer()
        while let message = try await iterator.next() {
            switch message {
            case .rejoinOpen(let group, let share, let epoch):
                try await serveRejoin(peer: peer, group: group, share: share, epoch: epoch, writer: writer)
                continue
            case .conflictBegin(let group, let share, let reason, let header):
                try await receiveConflictCopy(
                    peer: peer, group: group, share: share, reason: reason, header: header,
                    iterator: &iterator, writer: writer)
                continue
            case .switchoverAsk(let group, let failback, let force, let dryRun):
                try await serveSwitchoverAsk(
                    peer: peer, group: group, failback: failback, force: force, dryRun: dryRun, writer: writer)
                continue
            case .usersOffer(let document):
                guard let users else {
                    try await writer.send(.error(code: .unexpectedMessage, message: "\(node.name) keeps no users"))
                    try await writer.flush()
                    continue
                }
                _ = users.take(document, from: peer)
                try await writer.send(.usersOffer(document: users.offer().document))
                try await writer.flush()
                continue
            case .configAsk(let group, let after):
                try await serveConfigAsk(peer: peer, group: group, after: after, writer: writer)
                continue
            default:
                break
            }
            guard case .openShare(let groupName, let shareName, let incremental, let verify, let resume) = message
            else {
                try await writer.send(
                    .error(code: .unexpectedMessage, message: "expected openShare, got \(message.typeName)"))
                try await writer.flush()
                throw PeerSessionError.unexpected(message, "between syncs")
            }
            guard let context = servedContext(group: groupName, share: shareName, peer: peer) else {
                let text = refusal(group: groupName, share: shareName, peer: peer)
                logger.warning("refused request from \(peer): \(text)")
                try await writer.send(.error(code: .unknownShare, message: text))
                try await writer.flush()
                continue
            }
            let key = ShareKey(group: groupName, share: shareName)
            // Serving the off-site node: its figures are the hop's, not this node's own of the share.
            let hop = Self.feedsOffsite(context, peer)
            if incremental && replicaManifests[key] == nil {
                let text = "incremental manifest for \(context.key) without an earlier one on this connection"
                try await writer.send(.error(code: .unexpectedMessage, message: text))
                try await writer.flush()
                throw PeerSessionError.refused(text)
            }
            // Without change capture (it could not start) every sync compares the whole share.
            let feed = servedFeed(context, peer: peer)
            var scope =
                feed?.scope(resume: verify ? nil : resume)
                ?? SyncScope(paths: nil, upTo: ResumePoint(captureID: 0, sequence: 0), captureComplete: false)
            // A whole share with no base to diff against goes in slices: however large the tree, neither node holds
            // more than a slice of it. A tree within one slice is compared at once, and keeps its manifest as a base.
            // A verification always has no base (the standby describes the whole share for it).
            var slicing: SlicedComparison?
            if scope.paths == nil, !incremental || verify {
                let sliced = SlicedComparison(
                    limit: context.group.compareSlice, upTo: scope.upTo, captureComplete: scope.captureComplete,
                    started: context.now())
                scope = sliced.scope
                slicing = sliced
            }
            try await writer.send(.syncScope(scope))
            try await writer.flush()
            writer.throttle = hop ? context.offsiteThrottle : context.throttle
            let planner = SyncPlanner(
                options: .init(
                    compareOwnership: node.identity.appliesOwnership,
                    deltaThreshold: hop
                        ? SyncPlanner.Options.slowLinkDeltaThreshold : SyncPlanner.Options.localDeltaThreshold))
            do {
                // Over the slow link, small files go with the share's dictionary once one is trained and pays.
                let dictionary = hop ? dictionaries?.dictionary(for: context).map { ($0, dictionaryOffer) } : nil
                let sync = PrimaryShareSync(context: context, planner: planner, dictionary: dictionary)
                var outcome = try await sync.run(
                    inbound: &iterator, writer: writer, scope: scope,
                    base: incremental ? replicaManifests[key] : nil, verify: verify, slicing: &slicing)
                // The slices that follow, one after another; the journal is acknowledged after the last.
                var failed = outcome.failedPaths
                while let next = slicing?.next() {
                    scope = next
                    try await writer.send(.syncScope(scope))
                    try await writer.flush()
                    outcome = try await sync.run(
                        inbound: &iterator, writer: writer, scope: scope, base: nil, verify: verify, slicing: &slicing)
                    failed.formUnion(outcome.failedPaths)
                }
                outcome.failedPaths = failed
                // A comparison in slices leaves each slice's heap freed; glibc would keep it.
                if let slicing, slicing.slices > 1 { understudy_release_free_memory() }
                if let manifest = outcome.replicaManifest {
                    // The standby's rule, or looser: the standby also drops its base when its replica grew past the
                    // limit in this sync, and then opens the next one without `incremental`, so this one is unused.
                    replicaManifests[key] = manifest.count <= ManifestChanges.baseLimit ? manifest : nil
                    if manifest.count > 10_000 { understudy_release_free_memory() }
                }
                feed?.acknowledge(scope, failed: outcome.failedPaths)
                if !hop { node.saveStatus(group: groupName, share: shareName) }
            } catch {
                context.status.setProgress(group: groupName, share: shareName, nil)
                if let gone = NetworkFailure.peerGone(error) {
                    // A standby that stops or dies mid-sync is not a fault here: it resumes where it left off.
                    logger.warning(
                        "standby \(peer) went away during the sync of \(context.key) (\(gone)); it resumes from its last acknowledged change when it reconnects"
                    )
                    node.event(.warning, .syncInterrupted, "standby \(peer) went away: \(gone)", share: context.key)
                    if !hop { node.saveStatus(group: groupName, share: shareName) }
                    throw error
                }
                context.status.update(group: groupName, share: shareName) {
                    $0.state = .error
                    $0.lastError = "\(error)"
                }
                logger.error("sync \(context.key) failed: \(error)")
                node.event(.error, .syncFailed, "\(error)", share: context.key)
                if !hop { node.saveStatus(group: groupName, share: shareName) }
                // Tell the standby why, so its status shows the cause rather than a dropped connection.
                if !((error as? PeerSessionError)?.isPeerGone ?? false) {
                    try? await writer.send(
                        .error(
                            code: .internalError,
                            message: "primary \(node.name) could not serve \(context.key): \(error)"))
                    try? await writer.flush()
                }
                throw error
            }
        }
    }

    /// The share when this node serves it to `peer` now: its holder serves the group's other node; the standby serves
    /// the off-site node, whether it holds the group or follows it, and so does the primary when the off-site node
    /// comes to it (its standby out of reach: a relay journal starts then).
    func servedContext(group: String, share: String, peer: String) -> ShareContext? {
        guard let context = node.shares[group: group, share: share] else { return nil }
        if context.group.offsite == peer, context.hopStatus != nil {
            if context.relay == nil {
                do {
                    _ = try context.startRelay()
                    node.logger.notice(
                        "group \(group): the off-site node \(peer) follows this node for \(context.key) (its standby is out of its reach); a new relay journal, so it compares the trees once"
                    )
                } catch {
                    node.logger.error("cannot start a relay journal for \(context.key): \(error)")
                    return nil
                }
            }
            return context.offsiteHop
        }
        guard Self.follows(peer, context.group, node: node) else { return nil }
        return context
    }

    /// Whether `peer` follows this node's tree of `group`: this node holds it, and `peer` is its other node (or, on
    /// the off-site node after a recovery-site takeover, its primary or standby).
    static func follows(_ peer: String, _ group: GroupConfiguration, node: some PeerNode) -> Bool {
        guard node.owns(group: group.name), peer != node.name else { return false }
        return group.offsite == node.name
            ? [group.primary, group.standby].contains(peer) : group.peer(of: node.name) == peer
    }

    /// Whether `peer` is the off-site node this node may feed the share to.
    static func feedsOffsite(_ context: ShareContext, _ peer: String) -> Bool {
        context.hopStatus != nil && context.group.offsite == peer
    }

    /// Where `peer`'s syncs of the share take their scope: the relay journal for the off-site node, the change capture
    /// while this node holds the group for its other node; nil when neither (yet).
    func servedFeed(_ context: ShareContext, peer: String) -> (any ChangeFeed)? {
        if Self.feedsOffsite(context, peer) { return context.relay }
        guard node.owns(group: context.groupName) else { return nil }
        return context.capture
    }

    func refusal(group: String, share: String, peer: String) -> String {
        guard let context = node.shares[group: group, share: share],
            context.group.members.contains(peer), peer != node.name
        else {
            return
                "share \(group)/\(share) is not one that \(node.name) shares with \(peer); check that both nodes use the same configuration"
        }
        let holder = node.ownership(group: group).map { "\($0)" } ?? "unknown"
        return "\(node.name) does not serve group \(group) now (it is held at \(holder)); follow the node that holds it"
    }

    /// A switchover asked for on the peer: run here as if asked here, and reported back.
    private func serveSwitchoverAsk(
        peer: String, group: String, failback: Bool, force: Bool, dryRun: Bool, writer: FrameWriter
    ) async throws {
        guard node.configuration.groups[group]?.peer(of: node.name) == peer else {
            let text =
                "group \(String(reflecting: group)) is not one that \(node.name) shares with \(peer); check that both nodes use the same configuration"
            try await writer.send(.switchoverReport(ok: false, text: text))
            try await writer.flush()
            return
        }
        let verb = failback ? "failback" : "switchover"
        node.logger.notice("group \(group): \(peer) asks this node to run a \(verb)\(dryRun ? " (dry run)" : "")")
        let request: ControlRequest =
            failback
            ? .failback(group: group, force: force, dryRun: dryRun)
            : .switchover(group: group, force: force, dryRun: dryRun)
        let response = await switchovers.runSwitchover(askedByPeer: request)
        try await writer.send(
            .switchoverReport(
                ok: response.ok, text: response.ok ? response.message ?? "" : response.error ?? response.message ?? "",
                code: response.code))
        try await writer.flush()
    }

    /// Connections of each peer: it is disconnected only when the last one ends (a switchover asked for on the
    /// peer comes on a connection beside its follow connection).
    private func setPeerConnected(_ peer: String, _ connected: Bool) {
        let open = connections.withLockedValue { counts -> Int in
            counts[peer, default: 0] += connected ? 1 : -1
            return counts[peer]!
        }
        if !connected && open > 0 { return }
        for context in node.shares.all where Self.feedsOffsite(context, peer) {
            context.hopStatus?.update(group: context.groupName) { status in
                status.peerConnected = connected
                if !connected {
                    for index in status.shares.indices where status.shares[index].state != .error {
                        status.shares[index].state = .disconnected
                    }
                }
            }
        }
        for group in node.configuration.groups(withMember: node.name) where Self.follows(peer, group, node: node) {
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
