import Logging
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudySession
import UnderstudyState
import UnderstudySupport
import UnderstudyWire

/// What the node that feeds a group's off-site copy changed in its tree and the off-site node has not yet
/// acknowledged, for one share: Core's `ChangeJournal` kept on disk (the state database's relay tables), so that a
/// restart of either side resumes from it, and bounded (it coarsens to the directories that changed, see
/// `ChangeJournal.maximumEntries`). Changes wait here, coalesced per path, for as long as a slow link needs.
///
/// It is fed by whatever changes this node's tree: the syncs it applies while it follows the group (`DiskReplica`:
/// the live sync's scope before it is applied, so a crash loses nothing, and every path it touched once durable),
/// and its change capture while it holds the group (`ShareCapture`). The off-site node's syncs take their scope from
/// it and acknowledge it, as a standby does with the primary's capture (`ChangeFeed`). Times are wall-clock seconds,
/// so that the age of a change survives a restart.
package final class RelayJournal: ChangeFeed, Sendable {
    private struct State {
        var journal: ChangeJournal
        var subscribers = FeedSubscribers()
    }

    let key: String
    private let database: StateDatabase
    private let clock: any EngineClock
    private let logger: Logger
    private let state: NIOLockedValueBox<State>

    /// Loads the share's journal. A new run (a new capture id: the off-site node then compares whole trees once) when
    /// none was kept, or when `trusted` is false: this node's tree may have changed unseen since it was written (it
    /// held the group while the daemon was down, or the last run crashed in the middle of a sync).
    package init(key: String, database: StateDatabase, clock: any EngineClock, logger: Logger, trusted: Bool) throws {
        self.key = key
        self.database = database
        self.clock = clock
        self.logger = logger
        let journal: ChangeJournal
        if trusted, let kept = try database.loadRelayJournal(share: key) {
            journal = ChangeJournal(captureID: kept.captureID, sequence: kept.sequence, entries: kept.entries)
        } else {
            journal = ChangeJournal(captureID: UInt64.random(in: 1...UInt64.max))
            try database.saveRelayJournal(
                share: key, captureID: journal.captureID, sequence: 0, entries: [:], removed: [], replacing: true)
        }
        state = NIOLockedValueBox(State(journal: journal))
    }

    package var captureID: UInt64 { state.withLockedValue { $0.journal.captureID } }

    /// The paths waiting for the off-site node, and when the oldest was recorded (wall-clock seconds).
    package func waiting() -> (paths: [String], oldestAt: Double?) {
        state.withLockedValue { (Array($0.journal.entries.keys), $0.journal.oldestCapturedAt) }
    }

    /// Records paths of this node's tree that changed (or are about to), durably, then tells the off-site node's
    /// connection. A failure to write is logged: the off-site copy then catches up at its next full comparison.
    package func record(_ scope: [ScopedPath]) {
        guard !scope.isEmpty else { return }
        let now = clock.wallSeconds()
        let (write, subscribers) = state.withLockedValue { state in
            let before = state.journal.count
            state.journal.record(scope, capturedAt: now)
            // Coarsened: fewer entries than before plus the new ones; the journal is rewritten whole.
            let coarsened = state.journal.count < before
            let entries =
                coarsened
                ? state.journal.entries
                : Dictionary(
                    uniqueKeysWithValues: scope.compactMap { item in
                        state.journal.entries[item.path].map { (item.path, $0) }
                    })
            return (
                (state.journal.captureID, state.journal.sequence, entries, coarsened),
                state.subscribers.all
            )
        }
        do {
            try database.saveRelayJournal(
                share: key, captureID: write.0, sequence: write.1, entries: write.2, removed: [], replacing: write.3)
        } catch {
            logger.warning(
                "could not keep the relay journal of \(key): \(error); the off-site copy catches up at its next full comparison"
            )
        }
        for subscriber in subscribers { subscriber.yield() }
    }

    package func changes() -> (id: Int, stream: AsyncStream<Void>) {
        state.withLockedValue { $0.subscribers.add(pending: $0.journal.count > 0) }
    }

    package func unsubscribe(_ id: Int) {
        state.withLockedValue { $0.subscribers.remove(id) }?.finish()
    }

    package func scope(resume: ResumePoint?) -> SyncScope {
        state.withLockedValue { state in
            state.journal.syncScope(captureID: state.journal.captureID, resume: resume, captureComplete: true)
        }
    }

    package func acknowledge(_ scope: SyncScope, failed: some Sequence<String>) {
        let now = clock.wallSeconds()
        let failed = Array(failed)
        let write = state.withLockedValue { state -> (UInt64, [String], [String: ChangeJournal.Entry])? in
            guard scope.upTo.captureID == state.journal.captureID else { return nil }
            let before = Set(state.journal.entries.keys)
            state.journal.acknowledge(upTo: scope.upTo.sequence, failed: failed, at: now)
            let after = state.journal.entries
            let kept = Dictionary(uniqueKeysWithValues: failed.compactMap { path in after[path].map { (path, $0) } })
            return (state.journal.sequence, before.filter { after[$0] == nil }, kept)
        }
        guard let (sequence, removed, kept) = write else { return }
        do {
            try database.saveRelayJournal(
                share: key, captureID: captureID, sequence: sequence, entries: kept, removed: removed)
        } catch {
            logger.warning("could not keep the relay journal of \(key): \(error)")
        }
    }
}

/// Where a served peer's syncs take their scope and send their acknowledgements: the holder's change capture
/// (`ShareCapture`) for the standby, the feeder's relay journal (`RelayJournal`) for the off-site node.
package protocol ChangeFeed: Sendable {
    /// Yields whenever the feed gained changes (coalesced).
    func changes() -> (id: Int, stream: AsyncStream<Void>)
    func unsubscribe(_ id: Int)
    /// What the sync the peer opened with `resume` compares.
    func scope(resume: ResumePoint?) -> SyncScope
    /// The peer made `scope` durable, except `failed` paths.
    func acknowledge(_ scope: SyncScope, failed: some Sequence<String>)
}

extension ShareCapture: ChangeFeed {}
