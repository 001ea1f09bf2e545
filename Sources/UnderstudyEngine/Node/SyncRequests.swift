import UnderstudyCore

/// On-demand syncs for a standby group: `understudy sync` asks, the group's loop wakes at once instead of
/// waiting for its interval, and every asker gets the results of the next complete sync.
actor SyncRequests {
    private var waiters: [CheckedContinuation<[SyncResult], Never>] = []
    private var sleeper: CheckedContinuation<Void, Never>?
    private var pending = false
    private var generation = 0

    func request() async -> [SyncResult] {
        await withCheckedContinuation { continuation in
            waiters.append(continuation)
            pending = true
            wake(nil)
        }
    }

    /// Returns when a sync is requested, `seconds` have passed, or the task is cancelled.
    func wait(seconds: Double) async {
        if pending || Task.isCancelled { return }
        generation += 1
        let token = generation
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if Task.isCancelled || pending {
                    continuation.resume()
                    return
                }
                sleeper = continuation
                Task {
                    try? await Task.sleep(for: .seconds(seconds))
                    await self.wake(token)
                }
            }
        } onCancel: {
            Task { await self.wake(nil) }
        }
    }

    /// Askers whose sync never got going because the idle connection had died (the primary restarted): they
    /// are answered by the first sync on the next connection.
    func requeue(_ continuations: [CheckedContinuation<[SyncResult], Never>]) {
        guard !continuations.isEmpty else { return }
        waiters.append(contentsOf: continuations)
        pending = true
    }

    /// The askers to answer with the sync that starts now.
    func takeWaiters() -> [CheckedContinuation<[SyncResult], Never>] {
        pending = false
        defer { waiters.removeAll() }
        return waiters
    }

    private func wake(_ token: Int?) {
        guard token == nil || token == generation else { return }
        sleeper?.resume()
        sleeper = nil
    }
}
