#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnderstudyCore
import UnderstudyReplication
import UnderstudySupport

/// Archives and history of the replicas this node keeps (it is the standby of their groups). Once a minute it
/// takes the archives whose schedule is due (from the replica, under the replica gate: a consistent cut between two
/// syncs), prunes each series to its retention, expires history past its window, and empties the trash a little
/// at a time. At start it finishes what a crash interrupted: a half-made archive is marked `interrupted` and its
/// tree removed, a half-pruned one is removed, kept versions without a record are deleted.
public final class ArchiveService: Service, Sendable {
    let node: any ArchiveNode
    /// Wall-clock seconds since 1970 (archive names, schedules, history times): the node's clock unless a test moves it.
    let clock: @Sendable () -> Double
    let notify: @Sendable (NotificationEvent) -> Void
    let tick: Double
    /// One archive job (take, prune, restore) per share at a time.
    let jobs = ReplicaGate()
    /// Shares whose last archive run failed: a notification is sent when one enters and when it leaves.
    let failing = PathSet()
    /// Archive names given out by this process: a pruned archive's name is never given to a newer one.
    let usedNames = PathSet()
    /// Shares whose leftovers of a crash were dealt with (once per process, before any other work on them).
    let recovered = PathSet()
    /// Shares whose due archives were said to wait for a first sync.
    let waitingAnnounced = PathSet()
    /// Set by a reload that changed the schedules (`schedulesChanged`): the loop looks at them at once.
    let lookAgain = NIOLockedValueBox(false)
    /// Each share's opened archive directory (by share key), once `openStore` has run.
    let stores = NIOLockedValueBox<[String: ArchiveStore]>([:])

    func store(of context: ShareContext) -> ArchiveStore? { stores.withLockedValue { $0[context.key] } }
    /// The share's history keeper (when `history` is on), as its archive directory was opened with.
    func keeper(of context: ShareContext) -> HistoryKeeper? { context.archiving.history as? HistoryKeeper }

    package init(
        node: any ArchiveNode, notify: @escaping @Sendable (NotificationEvent) -> Void,
        clock: (@Sendable () -> Double)? = nil, tick: Double = 30
    ) {
        self.node = node
        self.notify = notify
        self.clock = clock ?? { node.clock.wallSeconds() }
        self.tick = tick
    }

    /// The standby shares of this node.
    var contexts: [ShareContext] {
        node.shares.all.filter { $0.group.standby == node.name }.sorted { $0.key < $1.key }
    }

    static func calendar(at time: Double) -> ArchiveCalendar {
        ArchiveCalendar(utcOffsetSeconds: TimeZone.current.secondsFromGMT(for: Date(timeIntervalSince1970: time)))
    }

    /// Opens every share's archive directory and finishes what a crash interrupted. The daemon calls this before the
    /// mirror starts, so history is kept from the first replaced file and its start is not later than the first sync.
    public func openAll() async {
        for context in contexts where needsStore(context) {
            do {
                try await prepare(context)
            } catch {
                report(context, failure: "\(error)")
            }
        }
    }

    /// Takes and prunes each share's archives when due, until cancelled or shut down gracefully.
    public func run() async {
        await cancelWhenGracefulShutdown { await self.archiveWhenDue() }
    }

    private func archiveWhenDue() async {
        await openAll()
        while !Task.isCancelled {
            var waiting = false
            for context in contexts where store(of: context) != nil {
                if await !runDueWork(context) { waiting = true }
            }
            // A share whose replica has not synced since the start is looked at every second: its first archive
            // follows its first sync closely. A reload that changed the schedules looks again at once.
            await pause(seconds: waiting ? min(1, tick) : tick)
            lookAgain.withLockedValue { $0 = false }
        }
    }

    /// Waits `seconds` of real time, or until a reload asks for another look (`lookAgain`), or cancellation.
    private func pause(seconds: Double) async {
        let until = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while !Task.isCancelled, ContinuousClock.now < until, !lookAgain.withLockedValue({ $0 }) {
            try? await Task.sleep(for: min(.milliseconds(250), until - ContinuousClock.now))
        }
    }

    /// How current the replica of `context` is, for its archives.
    enum ReplicaFreshness: Equatable {
        /// This node serves the group: the tree is the live data.
        case live
        /// Connected to the node that serves it, and in sync.
        case inStep
        /// Last in step at `since` (seconds since 1970); disconnected or behind since.
        case stale(since: Double)
        /// No sync completed since the daemon started: what the replica holds may be far older than it says.
        case notSyncedSinceStart
    }

    func freshness(_ context: ShareContext) -> ReplicaFreshness {
        if node.owns(group: context.groupName) { return .live }
        guard let group = node.status.snapshot(now: node.now()).first(where: { $0.name == context.groupName }),
            let share = group.shares.first(where: { $0.name == context.shareName }),
            let lastSync = share.lastSyncAt, lastSync >= node.identity.startedAt
        else { return .notSyncedSinceStart }
        if group.peerConnected && share.state == .inSync { return .inStep }
        return .stale(since: lastSync.timeIntervalSince1970)
    }

    func needsStore(_ context: ShareContext) -> Bool {
        context.share.history != nil || context.group.archives.contains { $0.share == context.shareName }
            || FileManager.default.fileExists(atPath: context.share.archiveDirectory)
    }

    /// Opens the share's archive directory and finishes what a crash interrupted, once; every request starts here, so
    /// none sees a half-made archive that recovery has not yet marked.
    func prepare(_ context: ShareContext) async throws {
        if recovered.contains(context.key) { return }
        await jobs.acquire()
        defer { jobs.release() }
        if recovered.contains(context.key) { return }
        try await openStore(context)
        try await recover(context)
        recovered.insert(context.key)
    }

    /// Opens (creating) the share's archive directory and tells the mirror about history and shared inodes.
    @discardableResult
    func openStore(_ context: ShareContext) async throws -> ArchiveStore {
        if let store = store(of: context) { return store }
        let store = try await onThread {
            try ArchiveStore(path: context.share.archiveDirectory, replica: context.share.replica)
        }
        let key = context.key
        let keeper: HistoryKeeper?
        if context.share.history != nil {
            _ = try node.database.historyStart(share: key, orNow: clock())
            keeper = HistoryKeeper(key: key, store: store, index: context.index, clock: clock)
        } else {
            try? node.database.forgetHistoryStart(share: key)
            keeper = nil
        }
        let hasArchives =
            try !node.database.archives(share: key).filter { $0.state == .complete }.isEmpty
            || context.group.archives.contains { $0.share == context.shareName }
        stores.withLockedValue { $0[key] = store }
        context.archiving.attach(history: keeper, sharesInodes: hasArchives && !store.reflinks)
        node.logger.info(
            "archives of \(key) in \(store.path) (\(store.reflinks ? "reflinks" : "hard links")); history \(context.share.history.map { "kept for \($0)" } ?? "off")"
        )
        return store
    }

    /// Scheduled archives that are due, retention, history expiry, and the status line. Returns false when due
    /// archives wait for the replica's first sync since the start.
    @discardableResult
    func runDueWork(_ context: ShareContext) async -> Bool {
        let now = clock()
        let calendar = Self.calendar(at: now)
        let archives = (try? node.database.archives(share: context.key)) ?? []
        var waiting = false
        for schedule in context.group.archives where schedule.share == context.shareName {
            let series = archives.filter { $0.series == schedule.name }
            let lastComplete = series.last { $0.state == .complete }?.takenAt.timeIntervalSince1970
            // A failed run is retried, but not more than every five minutes.
            if let last = series.last, last.state != .complete, now - last.takenAt.timeIntervalSince1970 < 300 {
                continue
            }
            guard schedule.schedule.isDue(lastRun: lastComplete, now: now, calendar: calendar) else { continue }
            // At start the replica holds what it held when the daemon stopped (or nothing, on a fresh standby): an
            // archive of it now would be labelled with a time its content does not have.
            if freshness(context) == .notSyncedSinceStart {
                if waitingAnnounced.insert(context.key) {
                    node.logger.info(
                        "archives of \(context.key): \(schedule.name) is due, and waits for the replica's first sync since the start"
                    )
                }
                waiting = true
                continue
            }
            do {
                _ = try await takeArchive(context, series: schedule.name, paths: schedule.paths)
            } catch {
                continue
            }
        }
        for schedule in context.group.archives where schedule.share == context.shareName {
            await prune(context, schedule: schedule, now: now, calendar: calendar)
        }
        await expireHistory(context, now: now)
        updateStatus(context)
        return !waiting
    }

    func report(_ context: ShareContext, failure: String) {
        node.logger.error("archives of \(context.key): \(failure)")
        node.event(.error, .archiveFailed, failure, share: context.key)
        node.status.update(group: context.groupName, share: context.shareName) { status in
            var archive = status.archive ?? ShareArchiveStatus()
            archive.lastError = failure
            status.archive = archive
        }
        if failing.insert(context.key) {
            notify(
                NotificationEvent(
                    kind: .archiveFailed, severity: .warning, node: node.name, group: context.groupName,
                    topic: context.key,
                    summary: "archive of \(context.key) failed on \(node.name)", detail: failure, time: clock()))
        }
    }

    func reportSuccess(_ context: ShareContext, _ info: ArchiveInfo) {
        if failing.remove(context.key) {
            notify(
                NotificationEvent(
                    kind: .archiveRecovered, severity: .info, node: node.name, group: context.groupName,
                    topic: context.key,
                    summary: "archives of \(context.key) work again on \(node.name)",
                    detail: "archive \(info.id) completed",
                    time: clock()))
        }
    }

    /// The share of "GROUP/SHARE", or a message saying what exists.
    package func context(group: String?, share: String?) throws -> ShareContext {
        let candidates = contexts
        guard let group, !group.isEmpty else {
            throw ArchiveError(.unknownShare, "name a share as GROUP/SHARE; this node keeps " + Self.names(candidates))
        }
        let matching = candidates.filter { $0.groupName == group }
        guard !matching.isEmpty else {
            if let configured = node.configuration.groups[group] {
                throw ArchiveError(
                    .unknownShare,
                    "group '\(group)' is archived on its standby, \(configured.standby), not on \(node.name)")
            }
            throw ArchiveError(.unknownShare, "no group '\(group)' in \(node.configuration.sourcePath)")
        }
        if let share, !share.isEmpty {
            guard let context = matching.first(where: { $0.shareName == share }) else {
                throw ArchiveError(
                    .unknownShare, "group '\(group)' has no share '\(share)'; its shares: " + Self.names(matching))
            }
            return context
        }
        guard matching.count == 1 else {
            throw ArchiveError(.badRequest, "group '\(group)' has several shares; name one of " + Self.names(matching))
        }
        return matching[0]
    }

    static func names(_ contexts: [ShareContext]) -> String {
        contexts.isEmpty ? "no replicas" : contexts.map(\.key).joined(separator: ", ")
    }
}
