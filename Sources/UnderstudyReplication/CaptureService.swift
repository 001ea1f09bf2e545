import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnderstudySupport

/// The change capture of every share this node serves, as one Service. `start()` captures the shares of the groups
/// the node holds before any part serves a standby (a change made after a connection's first comparison must be in
/// the journal); a group's capture then moves with its holder (`serve`, `release`); when the Service ends (a
/// graceful shutdown, or its cancellation) every capture stops, its watcher and flusher threads joined.
package final class CaptureService: Service, Sendable {
    /// Every share of the node as it is now (a reload may add or remove some).
    private let currentContexts: @Sendable () -> [ShareContext]
    private var contexts: [ShareContext] { currentContexts() }
    private let holds: @Sendable (String) -> Bool
    private let logger: Logger
    /// Set once every capture stopped at the end: a holder change handled later starts none again. Held while a
    /// group's capture starts or stops, so the end waits for a start under way rather than missing it.
    private let ended = NIOLockedValueBox(false)

    /// - Parameters:
    ///   - contexts: every share of the node; only live groups' shares are captured.
    ///   - holds: whether the node holds a group (by name) now.
    package convenience init(contexts: [ShareContext], holds: @escaping @Sendable (String) -> Bool, logger: Logger) {
        self.init(table: { contexts }, holds: holds, logger: logger)
    }

    /// - Parameter table: the node's shares as they are now (its `ShareTable`).
    package init(
        table: @escaping @Sendable () -> [ShareContext], holds: @escaping @Sendable (String) -> Bool, logger: Logger
    ) {
        currentContexts = table
        self.holds = holds
        self.logger = logger
    }

    /// Captures `contexts` anew (shares a reload gave a group, or whose patterns it changed), those of groups the
    /// node holds, unless the service has ended: a new capture's first sync compares the whole tree.
    package func restart(_ contexts: [ShareContext]) async {
        for context in contexts where holds(context.groupName) {
            _ = try? await onThread { [ended, holds] in
                ended.withLockedValue { ended in
                    if !ended && holds(context.groupName) { context.startCapture() }
                }
            }
        }
    }

    /// Captures the shares of the groups the node holds now (watching a tree takes seconds; shares in parallel).
    package func start() async {
        let held = contexts.filter { holds($0.groupName) }
        await withTaskGroup(of: Void.self) { starting in
            for context in held { starting.addTask { _ = try? await onThread { context.startCapture() } } }
        }
    }

    /// Waits for the end (a graceful shutdown, or cancellation), then stops every capture.
    package func run() async {
        try? await gracefulShutdown()
        let contexts = contexts
        _ = try? await onThread { [ended] in
            ended.withLockedValue { ended in
                ended = true
                for context in contexts { context.stopCapture() }
            }
        }
        logger.debug("change capture stopped")
    }

    /// The node holds `group` now: its shares' changes are captured.
    package func serve(group: String) async {
        for context in contexts where context.groupName == group {
            _ = try? await onThread { [ended] in
                ended.withLockedValue { ended in if !ended { context.startCapture() } }
            }
        }
    }

    /// The node no longer holds `group`: its capture stops.
    package func release(group: String) async {
        for context in contexts where context.groupName == group {
            _ = try? await onThread { [ended] in ended.withLockedValue { _ in context.stopCapture() } }
        }
    }
}
