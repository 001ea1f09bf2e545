import NIOCore
import UnderstudyCore
import UnderstudySession
import UnderstudyWire

/// A primary and a standby that sync one share through their session machines, in memory: messages pass from
/// one side's actions to the other's `receive`, one at a time, and each side performs its file steps on a
/// `MemoryTree`. The primary chooses the scope as its change capture does (Core's `ChangeJournal`), and the
/// standby keeps its resume point and, per connection, the base of its incremental manifests.
///
/// The standby's steps run through `StandbyStepRunner` on a `MemoryReplica`, and the primary's sends through
/// `PlanSendRunner` from a `MemorySource` (their file-system protocols in memory), the runners the disk uses. Deltas in memory: a signature is the hash of the replica's copy, and a delta is that hash followed by
/// the new content, so a delta applied to any other basis is refused as a content mismatch.
struct SessionPair {
    struct Sync {
        var standby: StandbySyncMachine.Outcome
        var primary: PrimarySyncMachine.Outcome
        /// Every message, in the order it was delivered, with its direction.
        var messages: [(toStandby: Bool, message: PeerMessage)]
    }

    /// The connection was cut after this many messages.
    struct Cut: Error {}

    /// The two sides stopped making progress: both wait for the other, or the exchange did not end within its
    /// bound. The test fails with where each side stood, rather than hanging or stopping the test process.
    struct Stalled: Error, CustomStringConvertible {
        var description: String
    }

    var source = MemoryTree()
    var replica = MemoryTree()
    var journal = ChangeJournal(captureID: 7)
    var captureID: UInt64 = 7
    /// The standby's saved acknowledgement: where its replica is durable in the primary's journal.
    var resumePoint: ResumePoint?
    /// Manifest bases of the current connection (a new connection starts without).
    var standbyBase: [ManifestEntry]?
    var primaryBase: [String: ManifestEntry]?
    var planner = SyncPlanner(options: .init(compareOwnership: false, deltaThreshold: 4))
    var durableReplica = MemoryTree()
    /// The standby's base limit: a whole manifest larger than this is encoded as the walk goes.
    var baseLimit = ManifestChanges.baseLimit
    /// With a limit, a full comparison without a base goes in slices of that many entries (as a node's does).
    var sliceLimit: Int?
    /// The sliced comparison under way, and the figures of its slices so far.
    private var slicing: SlicedComparison?
    private var earlierSlices: PrimarySyncMachine.Outcome?
    /// Steps the standby could not take, as the primary heard of them.
    var failures: [(path: String, code: WireErrorCode)] = []

    /// A change on the primary, as its capture records it.
    mutating func change(_ paths: String..., time: Double = 0) {
        journal.record(paths.map { ScopedPath($0, recursive: false) }, capturedAt: time)
    }

    /// A new connection: the bases of incremental manifests are gone.
    mutating func reconnect() {
        standbyBase = nil
        primaryBase = nil
    }

    /// One sync, opened by the standby; `full` asks for a full comparison (no resume point).
    /// - Parameter cutAfter: the connection drops after this many delivered messages (throws `Cut`).
    /// - Parameter tamper: replaces a message on its way to the standby.
    mutating func sync(
        full: Bool = false, verify: Bool = false, cutAfter: Int? = nil,
        tamper: (PeerMessage) -> PeerMessage = { $0 }
    ) async throws -> Sync {
        var standby = try StandbySyncMachine(
            group: "g", share: "s", previous: standbyBase, resume: full ? nil : resumePoint, verify: verify,
            baseLimit: baseLimit)
        var primary: PrimarySyncMachine?
        var toPrimary: [PeerMessage] = []
        var toStandby: [PeerMessage] = []
        var delivered: [(Bool, PeerMessage)] = []
        var standbyOutcome: StandbySyncMachine.Outcome?
        var primaryOutcome: PrimarySyncMachine.Outcome?

        var standbyActions = standby.start()[...]
        var primaryActions: ArraySlice<PrimarySyncMachine.Action> = []
        // The standby's steps run through the same runner as on disk, on the replica in memory.
        let files = MemoryReplica(replica)
        let host = MemoryStandbyHost(resumePoint: resumePoint)
        var runner = StandbyStepRunner(files: files, host: host)
        let sender = PlanSendRunner(source: MemorySource(source), host: MemorySendHost())
        defer {
            replica = files.tree
            if let durable = files.durable { durableReplica = durable }
            resumePoint = host.resumePoint
        }
        for _ in 0..<100_000 {
            if let action = standbyActions.popFirst() {
                if case .finished(let outcome) = action {
                    standbyOutcome = outcome
                    continue
                }
                var sent: [PeerMessage] = []
                let next = try await runner.perform(action, machine: &standby) { output in
                    if case .send(let message) = output { sent.append(message) }
                }
                toPrimary += sent
                standbyActions = next[...] + standbyActions
                continue
            }
            if let action = primaryActions.popFirst() {
                switch action {
                case .send, .flush, .sendFile:
                    // The primary's sends run through the same runner as on disk, from the source in memory; what
                    // goes to the standby passes the test's tampering.
                    var sent: [PeerMessage] = []
                    try await sender.perform([action]) { output in
                        if case .send(let message) = output { sent.append(tamper(message)) }
                    }
                    toStandby += sent
                case .plan(var replicaByPath, let partials, let digests):
                    // Planned as a node plans (renames hashed, a verification's resends), from the source in memory;
                    // a slice as the node cuts it.
                    var entries = source.manifest(within: primary!.scope.paths)
                    var surroundings = SliceSurroundings()
                    if var slicing, let slice = primary!.scope.slice {
                        let walked = source.slice(after: slice.after, limit: slice.limit)
                        entries = walked.entries
                        slicing.cut(source: &entries, sourceComplete: walked.complete, replica: &replicaByPath)
                        surroundings = slicing.surroundings(context: walked.context)
                        self.slicing = slicing
                    }
                    let source = source
                    let plan = SourcePlanning(planner: planner).plan(
                        source: entries, replica: replicaByPath, partials: partials, digests: verify ? digests : nil,
                        surroundings: surroundings,
                        indexedHash: { _ in nil }, readHash: { source[$0].map { MemoryTree.hash($0.content) } }
                    ).plan
                    slicing?.planned(plan, source: entries, replica: replicaByPath)
                    primaryActions =
                        try primary!.planned(
                            plan, sourceEntries: entries.count, sliceFollows: slicing?.follows ?? false)[...]
                        + primaryActions
                case .standbyFailed(let path, let code, _, _): failures.append((path, code))
                case .finished(let outcome):
                    let sofar = earlierSlices.map { Self.joined($0, outcome) } ?? outcome
                    if let next = slicing?.next() {
                        // The next slice: a machine of its own, opened by the scope the standby waits for.
                        earlierSlices = sofar
                        primary = try PrimarySyncMachine(scope: next, base: nil, verify: verify)
                        toStandby.append(.syncScope(next))
                        continue
                    }
                    slicing = nil
                    earlierSlices = nil
                    primaryOutcome = sofar
                    journal.acknowledge(upTo: primary!.scope.upTo.sequence, failed: sofar.failedPaths, at: 0)
                }
                continue
            }
            if let standbyOutcome, let primaryOutcome {
                standbyBase = standbyOutcome.manifestBase
                if let manifest = primaryOutcome.replicaManifest { primaryBase = manifest }
                return Sync(standby: standbyOutcome, primary: primaryOutcome, messages: delivered)
            }
            if let cutAfter, delivered.count >= cutAfter { throw Cut() }
            if !toPrimary.isEmpty {
                let message = toPrimary.removeFirst()
                delivered.append((false, message))
                if primary == nil {
                    primaryActions = try open(message, machine: &primary)[...]
                } else {
                    primaryActions = try primary!.receive(message)[...]
                }
            } else if !toStandby.isEmpty {
                let message = toStandby.removeFirst()
                delivered.append((true, message))
                standbyActions = try standby.receive(message)[...]
            } else {
                throw Stalled(
                    description:
                        "the two sides wait for each other: \(standby.stage), \(primary?.stage ?? "not opened")")
            }
        }
        throw Stalled(description: "the sync did not end within 100,000 steps")
    }

    /// The primary's answer to `openShare`: the scope, chosen from its journal as a node's capture chooses it.
    private mutating func open(
        _ message: PeerMessage, machine: inout PrimarySyncMachine?
    ) throws -> [PrimarySyncMachine.Action] {
        guard case .openShare(_, _, let incremental, let verify, let resume) = message else {
            throw PeerSessionError.unexpected(message, "between syncs")
        }
        // As the node's capture chooses it, and a verification compares the whole share.
        var scope = journal.syncScope(captureID: captureID, resume: verify ? nil : resume, captureComplete: true)
        if let sliceLimit, scope.paths == nil, !incremental || verify {
            let slicing = SlicedComparison(limit: sliceLimit, upTo: scope.upTo, captureComplete: true)
            scope = slicing.scope
            self.slicing = slicing
        }
        machine = try PrimarySyncMachine(scope: scope, base: incremental ? primaryBase : nil, verify: verify)
        return [.send(.syncScope(scope))]
    }

    /// The figures of two slices of one comparison together; the manifest is the last slice's (only a comparison of
    /// one slice keeps one).
    private static func joined(
        _ earlier: PrimarySyncMachine.Outcome, _ later: PrimarySyncMachine.Outcome
    ) -> PrimarySyncMachine.Outcome {
        var outcome = later
        outcome.report = earlier.report + later.report
        outcome.summary = earlier.summary + later.summary
        outcome.failedPaths.formUnion(earlier.failedPaths)
        return outcome
    }
}
