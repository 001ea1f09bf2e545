#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Logging
import Metrics
import ServiceLifecycle
import UnderstudyCore
import UnderstudyNode
import UnderstudySupport

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon for one node (SIGTERM or SIGINT stops it cleanly).",
        discussion: """
            SIGHUP re-reads and validates the configuration file and logs what it found: a file with problems is \
            refused (each as file:line: message) and the running configuration stays; changes to [notify] and to \
            groups' bandwidth limits are applied at once; every other change is named and takes effect at the next \
            restart.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Option(name: .long, help: "This node's name in the configuration.") var node: String?
    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.") var logLevel: Logger.Level =
        .info
    @Option(
        name: .long,
        help: """
            plain (time, level, label, message), journal (a syslog priority prefix for journald) or json (an object \
            a line). Default: journal under systemd (JOURNAL_STREAM names standard error), plain otherwise.
            """)
    var logFormat: LogFormat?

    func run() async throws {
        // Until the hangup service traps it (once the daemon is made), a SIGHUP must not end the daemon as its
        // default action would: one during the start (a large state database opens slowly) is ignored.
        signal(SIGHUP, SIG_IGN)
        MallocArenas.limit()
        LogSetup.bootstrap(level: logLevel, format: logFormat)
        let configuration = try options.load()
        let name = try ConfigOptions.node(node, in: configuration)
        let logger = Logger(label: "understudy.\(name)")
        let (ready, readiness) = AsyncStream.makeStream(of: Void.self)
        let daemon = try NodeDaemon(
            configuration: configuration, node: name, logger: logger,
            guardianExecutable: NodeDaemon.ownExecutable, onReady: { readiness.finish() },
            reloadFrom: { [options] in try options.load() })
        // Under systemd (`Type=notify`): readiness, a status line and the watchdog's keep-alive.
        let manager = ServiceManagerSocket().map {
            ServiceManagerService(socket: $0, ready: ready, status: { daemon.statusLine() }, logger: logger)
        }
        // The socket is the daemon's own: the checks, recipes and fence commands it starts must not speak for it.
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { unsetenv(name) }
        // What the engine reports as it happens (sync and takeover durations, failed notifications) goes to the
        // registry `/metrics` renders.
        MetricsSystem.bootstrap(daemon.metrics.factory)
        // `reloadFrom` is given, so the daemon has a reloader.
        let hangup = await HangupService(reloader: daemon.reloader!)
        let group = ServiceGroup(
            configuration: .init(
                // The hangup service ends only at the shutdown: its end must not cancel the daemon's.
                services: [.init(service: daemon), .init(service: hangup, successTerminationBehavior: .ignore)]
                    // Last, so that a graceful shutdown tells the manager first (STOPPING=1).
                    + (manager.map { [.init(service: $0, successTerminationBehavior: .ignore)] } ?? []),
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
