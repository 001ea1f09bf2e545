import Logging
import ServiceLifecycle
import UnderstudyCore
import UnixSignals

/// SIGHUP (`kill -HUP`, a unit's `ExecReload`): the daemon re-reads and validates its configuration file and says
/// what it found. A file with problems is refused, each problem as `file:line: message`, and the running
/// configuration stays. A valid file's changes to `[notify]` and to groups' bandwidth limits are applied at once
/// (the notification channels are replaced, the throttles take the new limits); every other change is named and
/// takes effect at the next restart. Before this, SIGHUP's default
/// action ended the daemon.
struct HangupService: Service {
    let signals: UnixSignalsSequence
    let options: ConfigOptions
    let started: ClusterConfiguration
    let logger: Logger
    /// Applies what the daemon takes in place (`NodeDaemon.apply`).
    let apply: @Sendable (ConfigurationChanges, ClusterConfiguration) -> Void

    /// Traps SIGHUP from now on (call it before the daemon starts, so no SIGHUP ends it).
    init(
        options: ConfigOptions, running: ClusterConfiguration, logger: Logger,
        apply: @escaping @Sendable (ConfigurationChanges, ClusterConfiguration) -> Void
    ) async {
        signals = await UnixSignalsSequence(trapping: .sighup)
        self.options = options
        self.started = running
        self.logger = logger
        self.apply = apply
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
                if changes.notifications || !changes.bandwidth.isEmpty {
                    apply(changes, loaded)
                    running = ConfigurationChanges.applied(changes, from: loaded, to: running)
                    let applied =
                        (changes.notifications ? ["[notify]"] : [])
                        + changes.bandwidth.map { "the bandwidth of group \($0)" }
                    logger.notice("SIGHUP: applied the changes to \(applied.joined(separator: ", "))")
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
