import Foundation
import Logging
import Metrics
import Synchronization
import UnderstudyCore
import UnderstudyReplication
import UnderstudySupport

/// Re-reads the configuration file for a running daemon (`understudy reload`, SIGHUP), one reload at a time: a file
/// with problems is refused and the running configuration stays; a valid one's changes that the node takes in place
/// are applied (`ReloadTargets`), the others named for the next restart. Each reload is logged with who asked.
public final class ConfigurationReloader: Sendable {
    /// What the daemon runs with: the configuration it started with, plus the changes reloads applied since.
    private let running: Mutex<ClusterConfiguration>
    /// Reads and validates the file; throws an error whose description lists every problem, `file:line: message`.
    private let load: @Sendable () throws -> ClusterConfiguration
    /// Returns the groups whose change could not be taken, with why.
    private let apply: @Sendable (ConfigurationChanges, ClusterConfiguration) -> [String: String]
    /// Told the configuration the daemon runs once a reload changed it (the node's parts read it from there).
    private let adopt: @Sendable (ClusterConfiguration) -> Void
    private let node: String
    private let logger: Logger
    /// The node's clock: when the file was last read valid, or refused.
    private let clock: any EngineClock
    /// Set while the file last read was refused (see `refusal`).
    private let refused = Mutex<String?>(nil)

    /// While the file last read was refused, what `understudy status` warns of: the daemon runs an older
    /// configuration than the file's. Nil once a reload was valid.
    public var refusal: String? { refused.withLock { $0 } }

    /// - Parameter load: reads and validates the configuration file (the same way `understudy run` did).
    /// - Parameter apply: takes the changes the node takes in place.
    public init(
        running: ClusterConfiguration, node: String, logger: Logger, clock: any EngineClock,
        load: @escaping @Sendable () throws -> ClusterConfiguration,
        apply: @escaping @Sendable (ConfigurationChanges, ClusterConfiguration) -> [String: String],
        adopt: @escaping @Sendable (ClusterConfiguration) -> Void = { _ in }
    ) {
        self.running = Mutex(running)
        self.adopt = adopt
        self.node = node
        self.logger = logger
        self.clock = clock
        self.load = load
        self.apply = apply
    }

    /// The daemon runs (its metrics are set up): the file it started with was valid.
    public func started() {
        record(valid: true)
    }

    /// `understudy_config_last_reload_successful` and its time, as Prometheus's own reload metrics go.
    private func record(valid: Bool) {
        Gauge(label: "understudy_config_last_reload_successful").record(valid ? 1 : 0)
        if valid {
            Gauge(label: "understudy_config_last_reload_success_timestamp_seconds")
                .record(clock.wallSeconds())
        }
    }

    /// Remembers (or, `problems` nil, forgets) that the file was refused, for the status.
    private func noteRefusal(_ problems: String?, origin: String) {
        let text = problems.map { problems in
            "\(origin) at \(clock.wallTime().formatted(.iso8601)) found \(problems); the daemon runs the configuration it had. Fix the file and run `understudy reload`"
        }
        refused.withLock { $0 = text }
    }

    private static func count(_ result: String) {
        Counter(label: "understudy_config_reloads_total", dimensions: [("result", result)]).increment()
    }

    /// The configuration the daemon runs with now.
    public var current: ClusterConfiguration { running.withLock { $0 } }

    /// Re-reads the file and applies what can be: the report, or the refusal (code `configuration-invalid`) with every
    /// problem. `origin` says who asked, for the log ("SIGHUP", "the control socket").
    public func reload(askedBy origin: String) -> Result<ReloadReport, NodeError> {
        // The lock is held for the whole reload: two at once would both apply the changes they found.
        running.withLock { running in
            let loaded: ClusterConfiguration
            do {
                loaded = try load()
            } catch {
                logger.error(
                    "\(origin): \(running.sourcePath) has problems; the daemon goes on with its running configuration:\n\(error)"
                )
                Self.count("refused")
                record(valid: false)
                noteRefusal("problems in \(running.sourcePath)", origin: origin)
                return .failure(
                    NodeError(
                        .configurationInvalid,
                        "\(running.sourcePath) has problems; the daemon goes on with its running configuration:\n\(error)"
                    ))
            }
            guard loaded.nodes[node] != nil else {
                let message =
                    "\(loaded.sourcePath) has no node \(node) any more; the daemon goes on with its running configuration (to take this node out, stop its daemon)"
                logger.error("\(origin): \(message)")
                Self.count("refused")
                record(valid: false)
                noteRefusal("no node \(node) in \(loaded.sourcePath)", origin: origin)
                return .failure(NodeError(.configurationInvalid, message))
            }
            var changes = ConfigurationChanges.between(running, loaded, node: node)
            var report = ReloadReport(configuration: loaded.sourcePath, atRestart: changes.atRestart)
            if changes.takesAnything {
                let failed = apply(changes, loaded)
                // A group whose change could not be taken keeps running as it was, and waits for the restart.
                let refusals = failed.keys.sorted().map { name in
                    let what =
                        changes.groupsAdded.contains(name)
                        ? "added" : changes.groupsRemoved.contains(name) ? "removed" : "changed"
                    return "group \(name) \(what) (could not be taken now: \(failed[name]!))"
                }
                // The nodes that came or went with those groups wait with them.
                changes.keepOut(Set(failed.keys), running: running, loaded: loaded)
                report.atRestart = changes.atRestart + refusals
                running = ConfigurationChanges.applied(changes, from: loaded, to: running)
                adopt(running)
                report.applied = changes.appliedNames
            }
            Self.count("valid")
            record(valid: true)
            noteRefusal(nil, origin: origin)
            if report.unchanged { logger.notice("\(origin): \(loaded.sourcePath) is valid and unchanged") }
            if let line = report.appliedLine { logger.notice("\(origin): \(line)") }
            if let line = report.restartLine { logger.warning("\(origin): \(line)") }
            return .success(report)
        }
    }
}
