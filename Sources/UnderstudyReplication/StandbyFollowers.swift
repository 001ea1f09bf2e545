import NIOConcurrencyHelpers
import ServiceLifecycle
import UnderstudySupport

/// The tasks that keep this node's replicas following their primaries, one per group, so a takeover can stop
/// exactly one — and wait until it has stopped — before its replica becomes the live data.
package final class StandbyFollowers: Service, Sendable {
    /// A group's follower, and a stream that finishes when it has ended (a wait for it that can be cancelled).
    private struct Follower: Sendable {
        var task: Task<Void, Never>
        var ended: AsyncStream<Void>
    }

    private let tasks = NIOLockedValueBox<[String: Follower]>([:])

    package init() {}

    /// Starts `group`'s follower; one still running (it should have been stopped first) is cancelled: a group never
    /// has two.
    package func start(group: String, _ body: @escaping @Sendable () async -> Void) {
        let (ended, finish) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            await body()
            finish.finish()
        }
        let previous = tasks.withLockedValue { tasks -> Follower? in
            defer { tasks[group] = Follower(task: task, ended: ended) }
            return tasks[group]
        }
        previous?.task.cancel()
    }

    /// Whether a follower of `group` was started and not stopped.
    package func isFollowing(group: String) -> Bool {
        tasks.withLockedValue { $0[group] != nil }
    }

    /// Cancels the group's follower and waits for its end, at most `seconds`: a follower in the middle of
    /// connecting to a primary that vanished would hold a takeover up for the connect timeout. It cannot apply
    /// anything later, since it checks the group's ownership (stored before this is called) before following,
    /// and a cancelled task closes any connection it still opens. True when it ended in time.
    @discardableResult
    package func stop(group: String, waitingAtMost seconds: Double) async -> Bool {
        guard let follower = tasks.withLockedValue({ $0.removeValue(forKey: group) }) else { return true }
        follower.task.cancel()
        // Whichever comes first, its end or the time limit; the other wait is cancelled, and both end at once.
        return await withTaskGroup(of: Bool.self) { waits in
            waits.addTask {
                for await _ in follower.ended {}
                return !Task.isCancelled
            }
            waits.addTask {
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                return false
            }
            let first = await waits.next() ?? false
            waits.cancelAll()
            return first
        }
    }

    /// Waits for the daemon's shutdown, then stops every follower and waits until each has ended.
    package func run() async {
        await cancelWhenGracefulShutdown { await waitUntilCancelled() }
        await stopAll()
    }

    package func stopAll() async {
        let all = tasks.withLockedValue { tasks -> [Task<Void, Never>] in
            defer { tasks.removeAll() }
            return tasks.values.map(\.task)
        }
        for task in all { task.cancel() }
        for task in all { await task.value }
    }
}
