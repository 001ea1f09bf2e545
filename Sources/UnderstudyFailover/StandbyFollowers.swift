import NIOConcurrencyHelpers
import ServiceLifecycle
import UnderstudySupport

/// The tasks that keep this node's replicas following their primaries, one per group, so a takeover can stop
/// exactly one — and wait until it has stopped — before its replica becomes the live data.
package final class StandbyFollowers: Service, Sendable {
    private let tasks = NIOLockedValueBox<[String: Task<Void, Never>]>([:])

    package init() {}

    package func start(group: String, _ body: @escaping @Sendable () async -> Void) {
        let task = Task { await body() }
        tasks.withLockedValue { $0[group] = task }
    }

    /// Cancels the group's follower and waits for its end, at most `seconds`: a follower in the middle of
    /// connecting to a primary that vanished would hold a takeover up for the connect timeout. It cannot apply
    /// anything later, since it checks the group's ownership (stored before this is called) before following,
    /// and a cancelled task closes any connection it still opens. True when it ended in time.
    @discardableResult
    package func stop(group: String, waitingAtMost seconds: Double) async -> Bool {
        guard let task = tasks.withLockedValue({ $0.removeValue(forKey: group) }) else { return true }
        task.cancel()
        let ended = NIOLockedValueBox<Bool?>(nil)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finish: @Sendable (Bool) -> Void = { value in
                let first = ended.withLockedValue { state -> Bool in
                    guard state == nil else { return false }
                    state = value
                    return true
                }
                if first { continuation.resume() }
            }
            Task {
                await task.value
                finish(true)
            }
            Task {
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                finish(false)
            }
        }
        return ended.withLockedValue { $0 } ?? false
    }

    /// Waits for the daemon's shutdown, then stops every follower and waits until each has ended.
    package func run() async {
        await cancelWhenGracefulShutdown { await waitUntilCancelled() }
        await stopAll()
    }

    package func stopAll() async {
        let all = tasks.withLockedValue { tasks -> [Task<Void, Never>] in
            defer { tasks.removeAll() }
            return Array(tasks.values)
        }
        for task in all { task.cancel() }
        for task in all { await task.value }
    }
}
