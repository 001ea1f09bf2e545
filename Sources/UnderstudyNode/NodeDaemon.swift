import UnderstudyAccounts
import UnderstudyArchive
import UnderstudyCertificates
import UnderstudyConsole
import UnderstudyControl
import UnderstudyFailover
import UnderstudyNotify
import UnderstudyPeers
import UnderstudyProof
import UnderstudyReplication
import UnderstudyState
import UnderstudySupport
import UnderstudyTransport
import struct Foundation.Date
#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Logging
import NIOPosix
import NIOSSL
import ServiceLifecycle
import UnderstudyCore

/// `understudy run --node NAME`: everything a node does, as one Service. On the primary of a group it listens
/// for the standby; on the standby it keeps each replica in step; on every node it answers the control socket.
/// A graceful shutdown (SIGTERM, SIGINT) cancels the parts, which close their connections; nothing
/// acknowledged is lost because a batch is only reported applied once it is durable.
public struct NodeDaemon: Service {
    public let runtime: NodeRuntime
    /// Held from the start to the end of the process: one daemon per node.
    let lock: StateDirectoryLock
    let tlsServer: NIOSSLContext?
    let tlsClient: NIOSSLContext
    let failover: FailoverService
    let followers = StandbyFollowers()
    /// The notification channels; a reload that changed `[notify]` replaces them (`applyNotifications`).
    let notifications: NotificationRouter
    /// The conflict copies the serving trees take in, each notified.
    let conflicts: AsyncStream<ConflictFound>
    /// Archives and history of this node's replicas; nil on a node that is standby of no group.
    let archives: ArchiveService?
    let proofs: ProofService?
    /// Versions the configuration files of the groups this node is the primary of.
    let tracker: ConfigTracker?
    /// Called with the bound port once the peer listener is up (tests bind port 0).
    let onListening: @Sendable (Int) -> Void
    /// Where the console listens and the certificate it shows; nil when `[console]` does not make it listen.
    let console: (address: PeerAddress, tls: ConsoleTLS)?
    /// What `/metrics` shows; `understudy run` bootstraps swift-metrics with its factory.
    public let metrics = NodeMetrics()
    /// The console's users and tokens, in the node's state database.
    let accounts: AccountStore
    /// Called with the bound port once the console listens.
    let onConsoleListening: @Sendable (Int) -> Void
    /// Called once the node is ready: its groups started, and its control socket, peer listener and console (those
    /// it has) listening. `understudy run` tells the service manager then (`READY=1`).
    let onReady: @Sendable () -> Void
    /// Re-reads the configuration file (`understudy reload`, SIGHUP); nil when the daemon was given no way to read it.
    public let reloader: ConfigurationReloader?
    /// The parts a reload reaches once they run (following and serving the groups).
    let running = RunningParts()

    /// The understudy binary this process runs: the address guardian `understudy run` starts.
    public static var ownExecutable: String { AddressGuardian.currentExecutable }

    /// - Parameter guardianExecutable: the understudy binary, started as the address guardian that removes the service
    ///   addresses when this daemon ends (`understudy run` passes itself); nil: none, as when a test runs the daemon
    ///   inside another program.
    public init(
        configuration: ClusterConfiguration, node: String, logger: Logger, guardianExecutable: String? = nil,
        onListening: @escaping @Sendable (Int) -> Void = { _ in },
        onConsoleListening: @escaping @Sendable (Int) -> Void = { _ in },
        onReady: @escaping @Sendable () -> Void = {},
        reloadFrom load: (@Sendable () throws -> ClusterConfiguration)? = nil
    ) throws {
        _ = understudy_raise_nofile_limit()
        // A write to a pipe whose reader is gone (the address guardian) must fail, not kill the daemon.
        signal(SIGPIPE, SIG_IGN)
        // Before anything is opened or bound: a second daemon of this node is refused here, having touched nothing.
        let settings = try NodeRuntime.settings(of: node, in: configuration)
        lock = try StateDirectoryLock(stateDirectory: settings.stateDirectory, node: node)
        let clock = SystemClock()
        let notifications = NotificationRouter(
            Self.notificationService(
                configuration.notify, node: node, logger: logger, stateDirectory: settings.stateDirectory, clock: clock),
            logger: logger)
        self.notifications = notifications
        let notifier: @Sendable (NotificationEvent) -> Void = { notifications.notify($0) }
        runtime = try NodeRuntime(
            configuration: configuration, name: node, logger: logger, clock: clock, notifier: notifier,
            cleanStart: lock.previousRunStoppedCleanly)
        conflicts = runtime.conflicts.subscribe()
        accounts = try AccountStore(
            database: runtime.database, node: node, now: { [clock] in clock.wallTime() })
        let identity = try CertificateStore(directory: configuration.certificatesDirectory).loadIdentity(node: node)
        // Every node may serve: after a takeover the standby does, and the old primary follows it.
        tlsServer =
            configuration.groups(whereNode: node).isEmpty && configuration.groups(offsiteOf: node).isEmpty
            ? nil : try PeerTLS.serverContext(identity)
        tlsClient = try PeerTLS.clientContext(identity)
        self.onListening = onListening
        self.onConsoleListening = onConsoleListening
        self.onReady = onReady
        if let address = configuration.consoleAddress(of: node) {
            let settings = configuration.console
            let tls =
                if let certificate = settings.certificate, let key = settings.key {
                    try ConsoleTLS.load(certificate: certificate, key: key)
                } else {
                    try ConsoleTLS(chain: identity.certificateChain, key: identity.privateKey)
                }
            console = (address, tls)
        } else {
            console = nil
        }
        let store = CertificateStore(directory: configuration.certificatesDirectory)
        let needsKey = configuration.heartbeatPeers(of: node).contains { peer in
            configuration.nodes[peer].map { !(configuration.nodes[node]?.commonLinks(with: $0).isEmpty ?? true) }
                ?? false
        }
        let archives =
            configuration.groups(whereNode: node).contains { $0.standby == node }
            ? ArchiveService(node: runtime, notify: notifier) : nil
        self.archives = archives
        proofs =
            configuration.groups(whereNode: node).contains { [$0.primary, $0.standby].contains(node) }
            ? ProofService(node: runtime, executable: guardianExecutable, notify: notifier) : nil
        tracker =
            configuration.groups(whereNode: node).contains { $0.primary == node }
            ? ConfigTracker(node: runtime) : nil
        let failover = try FailoverService(
            runtime: runtime, clusterKey: needsKey ? try store.loadClusterKey() : nil, notifier: notifier,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, followers: followers,
            guardianExecutable: guardianExecutable, lockDescriptor: lock.descriptor,
            maintenance: { [accounts] in accounts.current.maintenance(of: $0) })
        self.failover = failover
        let runtime = runtime
        let parts = ReloadTargets(
            runtime: runtime, notifications: notifications, failover: failover, archives: archives, running: running,
            listens: tlsServer != nil)
        reloader = load.map { load in
            ConfigurationReloader(
                running: configuration, node: node, logger: logger, clock: clock, load: load,
                apply: { parts.apply($0, from: $1) },
                adopt: { configuration in runtime.changeConfiguration { $0 = configuration } })
        }
    }

    /// The channels of `[notify]`, on the node's clock.
    static func notificationService(
        _ configuration: NotificationConfiguration, node: String, logger: Logger, stateDirectory: String,
        clock: any EngineClock
    ) -> NotificationService {
        NotificationService(
            configuration: configuration, node: node, logger: logger,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, stateDirectory: stateDirectory,
            now: { clock.wallSeconds() }, sleep: { try? await clock.sleep(seconds: $0) })
    }

    /// The node's state in one line (`StatusLine`): each group with this node's role, state and lag.
    public func statusLine() -> String {
        StatusLine.of(runtime.status.snapshot(now: runtime.clock.monotonicSeconds()))
    }

    public func run() async throws {
        let runtime = runtime
        reloader?.started()
        let groups = runtime.configuration.groups(whereNode: runtime.name)
        let syncRequests = SyncRequestTable()
        for group in groups + runtime.configuration.groups(offsiteOf: runtime.name) {
            syncRequests.add(group: group.name, clock: runtime.clock)
        }
        runtime.logger.info(
            "node \(runtime.name) of cluster \(runtime.configuration.cluster) starting: primary of \(groups.filter { $0.primary == runtime.name }.map(\.name)), standby of \(groups.filter { $0.standby == runtime.name }.map(\.name))"
        )
        runtime.event(.info, .nodeStarted, "node \(runtime.name) started")
        if !lock.previousRunStoppedCleanly {
            // Each follower removes what the crash left in its trees before its first sync (see StandbyGroupService);
            // nothing here delays the heartbeats.
            runtime.logger.notice(
                "the last run of node \(runtime.name) did not stop cleanly; the temporaries it left are removed before each share's first sync"
            )
            runtime.shares.crashLeftovers.withLockedValue { $0 = Set(runtime.shares.all.map(\.key)) }
        }
        // Capture starts before any peer is served: every change after a connection's first comparison is then
        // in the journal. Only the shares of groups this node holds are watched; the Service stops them at the end.
        let captures = CaptureService(
            table: { runtime.shares.all }, holds: { runtime.owns(group: $0) }, logger: runtime.logger)
        await captures.start()
        await archives?.openAll()
        do {
            try await runParts(groups: groups, syncRequests: syncRequests, captures: captures)
        } catch is CancellationError where Task.isCancelled || Task.isShuttingDownGracefully {
            // SIGTERM/SIGINT: the parts were cancelled on purpose; that is a clean stop, not a failure.
        }
        for context in runtime.shares.all { context.index.waitUntilPersisted() }
        runtime.logger.info("node \(runtime.name) stopped")
        runtime.event(.info, .nodeStopped, "node \(runtime.name) stopped")
        lock.markStoppedCleanly()
        lock.release()
    }

    /// The node's parts as Services of one group, in the order they depend on each other: each starts after those
    /// before it and, at a graceful shutdown (SIGTERM, SIGINT), stops before them, so notifications go last and
    /// deliver what the others queued on their way out. A part that ends by itself leaves the others running; one
    /// that fails stops the node.
    private func runParts(
        groups: [GroupConfiguration], syncRequests: SyncRequestTable, captures: CaptureService
    ) async throws {
        let runtime = runtime
        var listeners: Set<String> = ["control"]
        if tlsServer != nil { listeners.insert("peer") }
        if console != nil { listeners.insert("console") }
        let readiness = ReadinessLatch(parts: listeners, action: onReady)
        let control = ControlCommands(
            node: runtime, syncRequests: syncRequests, failover: failover, archives: archives, peerTLS: tlsClient,
            accounts: accounts, reloader: reloader, proofs: proofs, tracker: tracker)
        let roles = GroupRoles(
            runtime: runtime, followers: followers, captures: captures, tls: tlsClient, requests: syncRequests,
            links: failover, changes: runtime.holderChanges.subscribe())
        // As the node runs them now: a reload may have come first.
        for group in groups where !runtime.owns(group: group.name) {
            roles.follow(runtime.currentGroup(group.name) ?? group)
        }
        running.set(RunningParts.Parts(roles: roles, captures: captures, requests: syncRequests))
        // An off-site node that holds a group (a recovery-site takeover before this start) serves it instead.
        for group in runtime.configuration.groups(offsiteOf: runtime.name) where !runtime.owns(group: group.name) {
            roles.followOffsite(group)
        }
        // Capture stops after failover and archives: a hand-over that drains the mirror at shutdown must not find
        // the capture gone (and so "drained") before failover is told to stop.
        var parts: [any Service] = [notifications, captures, failover]
        if let archives { parts.append(archives) }
        if let proofs { parts.append(proofs) }
        if let tracker { parts.append(tracker) }
        if let tlsServer {
            let users = UsersSeam(store: accounts, logger: runtime.logger)
            let copies = ConfigCopiesSeam(database: runtime.database, logger: runtime.logger)
            let dictionaries = DictionaryTrainer()
            parts.append(dictionaries)
            parts.append(
                PrimaryService(
                    node: runtime, tls: tlsServer, switchovers: control, users: users, configuration: copies,
                    dictionaries: dictionaries,
                    onListening: { [onListening] in
                        onListening($0)
                        readiness.up("peer")
                    }))
            parts.append(
                OwnershipProbe(node: runtime, tls: tlsClient, clock: runtime.clock, logger: runtime.logger))
            parts.append(
                UsersSpreadService(
                    node: runtime, users: users, tls: tlsClient, clock: runtime.clock, logger: runtime.logger))
            parts.append(
                ConfigFollowService(
                    node: runtime, copies: copies, tls: tlsClient, clock: runtime.clock, logger: runtime.logger,
                    arrived: { [proofs] in proofs?.configurationArrived(group: $0) }))
        }
        parts += [
            // After what it drives (roles, capture, archives): at a graceful shutdown it stops before them.
            followers, roles, running.work,
            ConflictNotifier(
                node: runtime.name, clock: runtime.clock, conflicts: conflicts,
                notify: { [notifications] in notifications.notify($0) }),
            StatusReporter(
                node: runtime.name, status: runtime.status, clock: runtime.clock, logger: runtime.logger,
                notify: { [notifications] in notifications.notify($0) },
                stalledAfter: runtime.configuration.notify.replicationStalledAfter.seconds,
                restingAge: { name in
                    runtime.currentGroup(name).map { $0.agentless ? $0.resyncInterval.seconds : 0 } ?? 0
                }),
            ControlSocket(
                path: runtime.identity.settings.controlSocket, handler: control, logger: runtime.logger,
                onListening: { readiness.up("control") }),
        ]
        if let console {
            parts.append(
                ConsoleService(
                    address: console.address, tls: console.tls, node: control, accounts: accounts,
                    events: runtime.database, metrics: metrics, configuration: { runtime.configuration },
                    clock: runtime.clock, logger: runtime.logger,
                    onListening: { [onConsoleListening] in
                        onConsoleListening($0)
                        readiness.up("console")
                    }))
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: parts.map {
                    .init(service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .cancelGroup)
                },
                logger: runtime.logger))
        try await group.run()
    }
}
