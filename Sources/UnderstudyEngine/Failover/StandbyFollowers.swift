import NIOConcurrencyHelpers

/// The tasks that keep this node's replicas following their primaries, one per group, so a takeover can stop
/// exactly one — and wait until it has stopped — before its replica becomes the live data.
final class StandbyFollowers: Sendable {
    private let tasks = NIOLockedValueBox<[String: Task<Void, Never>]>([:])

    func start(group: String, _ body: @escaping @Sendable () async -> Void) {
        let task = Task { await body() }
        tasks.withLockedValue { $0[group] = task }
    }

    /// Cancels the group's follower and waits for its end; nothing when it does not run.
    func stop(group: String) async {
        guard let task = tasks.withLockedValue({ $0.removeValue(forKey: group) }) else { return }
        task.cancel()
        await task.value
    }

    func stopAll() async {
        let all = tasks.withLockedValue { tasks -> [Task<Void, Never>] in
            defer { tasks.removeAll() }
            return Array(tasks.values)
        }
        for task in all { task.cancel() }
        for task in all { await task.value }
    }
}
