import Logging
import ServiceLifecycle
import UnderstudyCore
import UnixSignals

/// SIGHUP (`kill -HUP`, a unit's `ExecReload`): the daemon re-reads and validates its configuration file and says
/// what it found, and goes on running as it was. A file with problems is reported as `file:line: message`; a valid
/// file that differs from the running configuration takes effect at the next restart (changes are not applied
/// while the daemon runs). Before this, SIGHUP's default action ended the daemon.
struct HangupService: Service {
    let signals: UnixSignalsSequence
    let options: ConfigOptions
    let running: ClusterConfiguration
    let logger: Logger

    /// Traps SIGHUP from now on (call it before the daemon starts, so no SIGHUP ends it).
    init(options: ConfigOptions, running: ClusterConfiguration, logger: Logger) async {
        signals = await UnixSignalsSequence(trapping: .sighup)
        self.options = options
        self.running = running
        self.logger = logger
    }

    func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            switch options.loaded() {
            case .failure(let problems):
                logger.error(
                    "SIGHUP: \(running.sourcePath) has problems; the daemon goes on with the configuration it started with:\n\(problems)"
                )
            case .success(let loaded) where loaded == running:
                logger.notice("SIGHUP: \(running.sourcePath) is valid and unchanged")
            case .success:
                logger.warning(
                    "SIGHUP: \(running.sourcePath) is valid and differs from the running configuration; it takes effect when the daemon restarts (a running daemon does not apply changes)"
                )
            }
        }
    }
}
