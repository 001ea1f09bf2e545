import UnderstudyCore
import UnderstudySupport

/// What wakes a standby group's loop: `understudy sync` (a full comparison, whose askers get its results), the
/// primary's notices of changes (a live sync of those shares), or the resync interval.
package actor SyncRequests {
    private var waiters: [CheckedContinuation<[SyncResult], Never>] = []
    /// Ends the current wait (finished by `wake`).
    private var sleeper: (id: Int, stream: AsyncStream<Void>.Continuation)?
    private var sleeps = 0
    private var pending = false
    /// Shares the primary announced changes in, with when the first unserved notice came.
    private var liveSince: [String: Double] = [:]

    /// The node's clock: the waits sleep on it (tests give a `ManualClock`).
    private let clock: any EngineClock

    package init(clock: any EngineClock = SystemClock()) {
        self.clock = clock
    }
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
        let (woken, sleeper) = AsyncStream.makeStream(of: Void.self)
        sleeps += 1
        let id = sleeps
        self.sleeper = (id, sleeper)
        // The first to end wins: the time, a wake (which finishes the stream), or cancellation (which ends both).
        await withTaskGroup(of: Void.self) { waits in
            waits.addTask { [clock] in try? await clock.sleep(seconds: seconds) }
            waits.addTask { for await _ in woken {} }
            await waits.next()
            waits.cancelAll()
        }
        sleeper.finish()
        if self.sleeper?.id == id { self.sleeper = nil }
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

    /// The group's settings changed (a reload): a loop asleep until its next comparison looks again at when that is.
    package func settingsChanged() {
        wake(.request)
    }

    private enum Wake {
        case request
        /// Changes announced, or the connection ended: a reconnect pause sleeps through them.
        case news
    }

    private func wake(_ reason: Wake) {
        if case .news = reason, isReconnectPause { return }
        sleeper?.stream.finish()
        sleeper = nil
    }
}
