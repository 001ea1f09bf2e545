#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import Logging
import NIOConcurrencyHelpers
import UnderstudyChangeCapture
import UnderstudyCore
import UnderstudySession
import UnderstudyWire

/// The primary's change capture for one share: fanotify or inotify (a `ChangeWatcher`) feeds the pure `ChangeAggregator`,
/// whose batches go into the share's `ChangeJournal`; a connected standby is told at once (`changes()`), and its
/// live syncs take their scope from the journal and acknowledge it.
///
/// Started before the primary accepts standbys, so the first full comparison of every connection already
/// happens under watch: any change after its scan is in the journal.
package final class ShareCapture: Sendable {
    private struct State {
        var aggregator: ChangeAggregator
        var journal: ChangeJournal
        var subscribers = FeedSubscribers()
        var problem: String?
        var stopped = false
    }

    let context: ShareContext
    let captureID: UInt64
    private let state: NIOLockedValueBox<State>
    private let watcher = NIOLockedValueBox<(any ChangeWatcher)?>(nil)
    /// 1 when the flusher must look again (a change arrived, or stop).
    private let bell = ConditionLock(value: 0)
    private let flusherDone = DispatchSemaphore(value: 0)

    init(context: ShareContext, configuration: ChangeAggregator.Configuration) {
        self.context = context
        captureID = UInt64.random(in: 1...UInt64.max)
        state = NIOLockedValueBox(
            State(
                aggregator: ChangeAggregator(configuration: configuration),
                journal: ChangeJournal(captureID: captureID)))
    }

    /// Starts watching the tree (with inotify this walks every directory: seconds for a large tree; fanotify marks
    /// the file system at once) and starts the flusher thread. A failure leaves the share mirrored by periodic
    /// full comparisons, and says so in its status.
    func start() {
        let started = context.now()
        do {
            let (watcher, fallback) = try ChangeWatchers.make(
                root: context.localPath, filter: context.share.filter, method: context.captureMethod
            ) { [weak self] changes in
                self?.record(changes)
            }
            if let fallback { context.logger.notice("\(context.key): \(fallback)") }
            let report = try watcher.start()
            self.watcher.withLockedValue { $0 = watcher }
            state.withLockedValue { $0.problem = report.limitProblem }
            if let problem = report.limitProblem {
                context.logger.error("change capture of \(context.key) is incomplete: \(problem)")
                context.event(.error, .captureIncomplete, problem)
            }
            let setUp = String(format: "%.2f", context.now() - started)
            if let watches = report.watches {
                context.logger.info(
                    "watching \(watches) directories of \(context.key) for changes with inotify (set up in \(setUp)s)")
            } else {
                context.logger.info(
                    "watching \(context.key) for changes with fanotify (one mark on its whole file system, set up in \(setUp)s)"
                )
            }
        } catch {
            let problem =
                "cannot watch \(context.localPath) for changes: \(error); the share is mirrored by periodic full comparisons (resync_interval) only"
            state.withLockedValue { $0.problem = problem }
            context.logger.error("\(problem)")
            context.event(.error, .captureFailed, problem)
        }
        publish()
        let thread = Thread { [self] in runFlusher() }
        thread.start()
    }

    func stop() {
        let subscribers = state.withLockedValue { state -> [AsyncStream<Void>.Continuation] in
            state.stopped = true
            return state.subscribers.removeAll()
        }
        watcher.withLockedValue { $0?.stop() }
        ring()
        flusherDone.wait()
        for subscriber in subscribers { subscriber.finish() }
    }

    /// Nothing captured waits to be sent or acknowledged: every change so far is durable on the follower.
    package var isDrained: Bool {
        state.withLockedValue { $0.aggregator.isEmpty && $0.journal.count == 0 }
    }

    /// Yields whenever the journal gained changes (coalesced: one element stands for any number).
    package func changes() -> (id: Int, stream: AsyncStream<Void>) {
        state.withLockedValue { $0.subscribers.add(pending: $0.journal.count > 0) }
    }

    package func unsubscribe(_ id: Int) {
        state.withLockedValue { $0.subscribers.remove(id) }?.finish()
    }

    /// What the sync the standby opened with `resume` compares: only the journal's paths when the standby's
    /// replica is known to match this capture up to a point it acknowledged, else the whole share.
    package func scope(resume: ResumePoint?) -> SyncScope {
        state.withLockedValue { state in
            state.journal.syncScope(captureID: captureID, resume: resume, captureComplete: state.problem == nil)
        }
    }

    /// The standby made `scope` durable, except `failed` paths.
    package func acknowledge(_ scope: SyncScope, failed: some Sequence<String>) {
        guard scope.upTo.captureID == captureID else { return }
        let now = context.now()
        state.withLockedValue { $0.journal.acknowledge(upTo: scope.upTo.sequence, failed: failed, at: now) }
        publish()
    }

    private func record(_ changes: [CapturedChange]) {
        let now = context.now()
        state.withLockedValue { $0.aggregator.record(changes, at: now) }
        ring()
    }

    private func ring() {
        bell.lock()
        bell.unlock(withValue: 1)
    }

    /// Hands the aggregator's batches to the journal when they fall due.
    private func runFlusher() {
        defer { flusherDone.signal() }
        while true {
            let (deadline, stopped) = state.withLockedValue { ($0.aggregator.nextDeadline, $0.stopped) }
            if stopped { return }
            let wait = deadline.map { max(0, $0 - context.now()) } ?? 3600
            if bell.lock(whenValue: 1, timeoutSeconds: wait) { bell.unlock(withValue: 0) }
            let now = context.now()
            let flushed = state.withLockedValue { state -> ([AsyncStream<Void>.Continuation], [ScopedPath])? in
                guard let batch = state.aggregator.flush(at: now) else { return nil }
                state.journal.record(batch)
                if batch.overflowed {
                    context.logger.warning(
                        "change events of \(context.key) were lost (kernel queue overflow); comparing \(batch.scope.first(where: \.recursive)?.path ?? "") again by a stat walk"
                    )
                }
                return (state.subscribers.all, batch.scope)
            }
            guard let (notify, scope) = flushed else { continue }
            // This node holds the group and feeds its off-site copy too.
            context.relay?.record(scope)
            publish()
            for subscriber in notify { subscriber.yield() }
        }
    }

    /// Puts the journal's figures where `understudy status` finds them.
    private func publish() {
        let current = watcher.withLockedValue { watcher in
            watcher.map { ($0.watchCount, $0.currentLimitProblem, $0.backend.rawValue) }
        }
        let figures = state.withLockedValue { state in
            // The watcher retries what the limit left out: its problem comes and goes with the limit.
            if let current { state.problem = current.1 }
            return LiveFigures(
                changesPending: Int64(state.journal.count), oldestPendingAt: state.journal.oldestCapturedAt,
                watchedDirectories: current?.0, captureProblem: state.problem, captureBackend: current?.2)
        }
        context.status.setLive(group: context.groupName, share: context.shareName, figures)
    }
}
