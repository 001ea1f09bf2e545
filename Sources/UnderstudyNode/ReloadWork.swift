import ServiceLifecycle
import UnderstudySupport

/// What a reload sets going that takes a while (a capture restarted with new patterns, archive directories opened, a
/// follower restarted with new shares): queued by the reload, which answers at once, and run by this Service in a
/// task group of its own, so none outlives the daemon. Work queued before the daemon runs (a SIGHUP during the start)
/// runs once it does.
final class ReloadWork: Service, Sendable {
    private let queue = AsyncStream<@Sendable () async -> Void>.makeStream()

    /// Runs `work` beside the reloads that follow; a graceful shutdown cancels it.
    func add(_ work: @escaping @Sendable () async -> Void) {
        queue.continuation.yield(work)
    }

    func run() async {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for await work in self.queue.stream { group.addTask { await work() } }
                group.cancelAll()
            }
        }
    }
}
