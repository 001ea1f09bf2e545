import UnderstudyCore

/// What wakes a standby group's loop: `understudy sync` (a full comparison, whose askers get its results), the
/// primary's notices of changes (a live sync of those shares), or the resync interval.
actor SyncRequests {
    private var waiters: [CheckedContinuation<[SyncResult], Never>] = []
    private var sleeper: CheckedContinuation<Void, Never>?
    private var pending = false
    /// Shares the primary announced changes in, with when the first unserved notice came.
    private var liveSince: [String: Double] = [:]
    private var generation = 0
    /// The connection's reader saw it end while the loop may be sleeping.
    private var connectionEnded = false

    func request() async -> [SyncResult] {
        await withCheckedContinuation { continuation in
            waiters.append(continuation)
            pending = true
            wake(nil)
        }
    }

    /// The primary announced changes in `share`.
    func noteChanges(share: String, at now: Double) {
        if liveSince[share] == nil { liveSince[share] = now }
        wake(nil)
    }

    /// Returns when a sync is requested, changes are announced, `seconds` have passed, or the task is cancelled.
    func wait(seconds: Double) async {
        if pending || !liveSince.isEmpty || connectionEnded || Task.isCancelled { return }
        generation += 1
        let token = generation
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if Task.isCancelled || pending || !liveSince.isEmpty || connectionEnded {
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

    /// The connection to the primary is gone: an idle loop wakes to reconnect.
    func noteConnectionEnded() {
        connectionEnded = true
        wake(nil)
    }

    /// Called as a connection starts; true if the last one ended.
    func takeConnectionEnded() -> Bool {
        defer { connectionEnded = false }
        return connectionEnded
    }

    /// Askers whose sync never got going because the idle connection had died (the primary restarted): they
    /// are answered by the first sync on the next connection.
    func requeue(_ continuations: [CheckedContinuation<[SyncResult], Never>]) {
        guard !continuations.isEmpty else { return }
        waiters.append(contentsOf: continuations)
        pending = true
    }

    /// Whether a full comparison was asked for.
    var fullRequested: Bool { pending }

    /// The askers to answer with the full comparison that starts now.
    func takeWaiters() -> [CheckedContinuation<[SyncResult], Never>] {
        pending = false
        defer { waiters.removeAll() }
        return waiters
    }

    /// The shares to sync live now, with when their changes were first announced.
    func takeLive() -> [String: Double] {
        defer { liveSince.removeAll() }
        return liveSince
    }

    /// When the oldest announced, not yet started change of `share` was announced.
    func pendingSince(share: String) -> Double? { liveSince[share] }

    private func wake(_ token: Int?) {
        guard token == nil || token == generation else { return }
        sleeper?.resume()
        sleeper = nil
    }
}
