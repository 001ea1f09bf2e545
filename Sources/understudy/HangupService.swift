import ServiceLifecycle
import UnderstudyNode
import UnderstudySupport
import UnixSignals

/// SIGHUP (`kill -HUP`): the daemon re-reads and validates its configuration file, as `understudy reload` asks it
/// to (`ConfigurationReloader`). A file with problems is refused, each problem as `file:line: message`, and the
/// running configuration stays; a valid file's changes the node takes in place are applied, the others named for the
/// next restart. Before this, SIGHUP's default action ended the daemon.
struct HangupService: Service {
    let signals: UnixSignalsSequence
    let reloader: ConfigurationReloader

    /// Traps SIGHUP from now on (call it before the daemon starts, so no SIGHUP ends it).
    init(reloader: ConfigurationReloader) async {
        signals = await UnixSignalsSequence(trapping: .sighup)
        self.reloader = reloader
    }

    func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            // The reloader logs what it found and did; its work (the file, the database) runs off the pool.
            _ = try? await onThread { [reloader] in reloader.reload(askedBy: "SIGHUP") }
        }
    }
}
