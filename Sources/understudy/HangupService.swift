import Logging
import ServiceLifecycle
import UnderstudyCore
import UnixSignals

/// SIGHUP (`kill -HUP`, a unit's `ExecReload`): the daemon re-reads and validates its configuration file and says
/// what it found. A file with problems is refused, each problem as `file:line: message`, and the running
/// configuration stays. A valid file's changes to `[notify]` are applied at once (the notification channels are
/// replaced); every other change is named and takes effect at the next restart. Before this, SIGHUP's default
/// action ended the daemon.
struct HangupService: Service {
    let signals: UnixSignalsSequence
    let options: ConfigOptions
    let started: ClusterConfiguration
    let logger: Logger
    /// Replaces the daemon's notification channels.
    let applyNotifications: @Sendable (NotificationConfiguration) -> Void

    /// Traps SIGHUP from now on (call it before the daemon starts, so no SIGHUP ends it).
    init(
        options: ConfigOptions, running: ClusterConfiguration, logger: Logger,
        applyNotifications: @escaping @Sendable (NotificationConfiguration) -> Void
    ) async {
        signals = await UnixSignalsSequence(trapping: .sighup)
        self.options = options
        self.started = running
        self.logger = logger
        self.applyNotifications = applyNotifications
    }

    func run() async throws {
        var running = started
        for await _ in signals.cancelOnGracefulShutdown() {
            switch options.loaded() {
            case .failure(let problems):
                logger.error(
                    "SIGHUP: \(running.sourcePath) has problems; the daemon goes on with its running configuration:\n\(problems)"
                )
            case .success(let loaded):
                let changes = ConfigurationChanges.between(running, loaded)
                if changes.isEmpty {
                    logger.notice("SIGHUP: \(running.sourcePath) is valid and unchanged")
                    continue
                }
                if changes.notifications {
                    applyNotifications(loaded.notify)
                    running = ConfigurationChanges.applied(changes, from: loaded, to: running)
                    logger.notice("SIGHUP: applied the changes to [notify]")
                }
                if !changes.atRestart.isEmpty {
                    logger.warning(
                        "SIGHUP: \(running.sourcePath) is valid; these changes take effect when the daemon restarts: \(changes.atRestart.joined(separator: "; "))"
                    )
                }
            }
        }
    }
}
