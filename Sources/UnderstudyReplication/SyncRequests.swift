import UnderstudyCore

/// What wakes a standby group's loop: `understudy sync` (a full comparison, whose askers get its results), the
/// primary's notices of changes (a live sync of those shares), or the resync interval.
package actor SyncRequests {
    private var waiters: [CheckedContinuation<[SyncResult], Never>] = []
    private var sleeper: CheckedContinuation<Void, Never>?
    /// Ends the sleeper's wait after its seconds; cancelled when something else wakes it first.
    private var timer: Task<Void, Never>?
    private var pending = false
    /// Shares the primary announced changes in, with when the first unserved notice came.
    private var liveSince: [String: Double] = [:]
    private var generation = 0

    package init() {}
    /// The connection's reader saw it end while the loop may be sleeping.
    private var connectionEnded = false

    package func request() async -> [SyncResult] {
        await withCheckedContinuation { continuation in
            waiters.append(continuation)
            pending = true
            wake(.request)
        }
    }

    /// The primary announced changes in `share`.
    package func noteChanges(share: String, at now: Double) {
        if liveSince[share] == nil { liveSince[share] = now }
        wake(.news)
    }

    /// Returns when a sync is requested, changes are announced, `seconds` have passed, or the task is cancelled.
    /// - Parameter beforeReconnect: the pause before reconnecting: only a request or cancellation cut it short, not
    ///   notices (a notice of the connection that just ended may still be on its way) nor that connection's end.
    package func wait(seconds: Double, beforeReconnect: Bool = false) async {
        isReconnectPause = beforeReconnect
        if shouldWake || Task.isCancelled { return }
        generation += 1
        let token = generation
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if Task.isCancelled || shouldWake {
                    continuation.resume()
                    return
                }
                sleeper = continuation
                timer = Task {
                    try? await Task.sleep(for: .seconds(seconds))
                    await self.wake(.timer(token))
                }
            }
        } onCancel: {
            Task { await self.wake(.cancel) }
        }
    }

    /// The connection to the primary is gone: an idle loop wakes to reconnect.
    package func noteConnectionEnded() {
        connectionEnded = true
        wake(.news)
    }

    /// Called as a connection starts; true if the last one ended.
    package func takeConnectionEnded() -> Bool {
        defer { connectionEnded = false }
        return connectionEnded
    }

    /// Askers whose sync never got going because the idle connection had died (the primary restarted): they
    /// are answered by the first sync on the next connection.
    package func requeue(_ continuations: [CheckedContinuation<[SyncResult], Never>]) {
        guard !continuations.isEmpty else { return }
        waiters.append(contentsOf: continuations)
        pending = true
    }

    /// Whether a full comparison was asked for.
    package var fullRequested: Bool { pending }

    /// The askers to answer with the full comparison that starts now.
    package func takeWaiters() -> [CheckedContinuation<[SyncResult], Never>] {
        pending = false
        defer { waiters.removeAll() }
        return waiters
    }

    /// The shares to sync live now, with when their changes were first announced.
    package func takeLive() -> [String: Double] {
        defer { liveSince.removeAll() }
        return liveSince
    }

    /// When the oldest announced, not yet started change of `share` was announced.
    package func pendingSince(share: String) -> Double? { liveSince[share] }

    /// Set while the loop pauses before a reconnect.
    private var isReconnectPause = false

    private var shouldWake: Bool {
        pending || (!isReconnectPause && (!liveSince.isEmpty || connectionEnded))
    }

    private enum Wake {
        /// The sleep of that generation is over.
        case timer(Int)
        case request, cancel
        /// Changes announced, or the connection ended: a reconnect pause sleeps through them.
        case news
    }

    private func wake(_ reason: Wake) {
        switch reason {
        case .timer(let token) where token != generation: return
        case .news where isReconnectPause: return
        default: break
        }
        sleeper?.resume()
        sleeper = nil
        timer?.cancel()
        timer = nil
    }
}
