import NIOCore
import UnderstudyCore
import UnderstudyDelta
import UnderstudyWire

/// The standby's half of one share's sync, as a state machine: it opens the sync, describes the replica within
/// the scope the primary chose, turns the primary's stream into steps for the replica, and acknowledges the scope
/// only once everything applied is durable and the resume point is saved (rule 8). It reads no file and no socket:
/// the I/O code performs its actions and reports their results back.
///
/// A step the replica could not take is told to the primary (`failed`) and counted; the sync goes on. A message
/// the protocol does not allow here ends the sync with `PeerSessionError.unexpected`, and an `error` from the
/// primary with `PeerSessionError.remote`.
package struct StandbySyncMachine {
    package enum Action: Equatable, Sendable {
        case send(PeerMessage)
        case flush
        /// Walk the replica within the scope; answer with `described(_:)`.
        case describeReplica(SyncScope)
        /// Read every replica file of these entries now and send their SHA-256 (`contentDigests`, the last one
        /// marked): a verification, which does not trust the index.
        case sendDigests(of: [ManifestEntry])
        /// The plan's figures, before its first step.
        case announce(SyncPlanSummary)
        /// Remove the leftover partial copies of files (they go before the first directory's times are set).
        case removePartials([String])
        case apply(SyncOperation)
        case beginFile(FileHeader)
        /// Payload bytes of the file begun last: zstd-compressed, or as they are (`compressed` false).
        case receiveChunk(ByteBuffer, compressed: Bool)
        /// Keep a zstd dictionary for the rest of the connection (zstd-compressed, as it came); a failure ends the sync.
        case addDictionary(id: UInt32, compressed: ByteBuffer)
        /// Check the file begun last against the primary's hash, then commit it under its name.
        case commitFile(path: String, contentHash: [UInt8])
        /// Drop the file begun last (the primary abandoned it, or a new one begins).
        case discardFile
        /// Compute the signature of a replica file; answer with `signatureComputed(path:_:)` or `failed`.
        case computeSignature(path: String, basis: DeltaBasis)
        /// Make every step taken durable, and the partial copies left over removed; answer with
        /// `madeDurable(filesApplied:bytesWritten:)`.
        case makeDurable(removingPartials: [String])
        /// The replica is durable up to here: saved before the primary hears of it.
        case saveResumePoint(ResumePoint)
        case finished(Outcome)
    }

    package struct Outcome: Equatable, Sendable {
        package var scope: SyncScope
        /// Entries of the replica walked for this sync.
        package var entriesCompared: Int
        package var summary: SyncPlanSummary?
        package var report: SyncDoneReport
        /// The base of the next incremental manifest on this connection: this sync's manifest after a full
        /// comparison (nil when too large to keep), the previous one after a live sync.
        package var manifestBase: [ManifestEntry]?
        /// Entries of the manifest sent (after an incremental one, only those that changed).
        package var manifestEntriesSent: Int
        package var manifestRemovalsSent: Int
    }

    private enum State {
        case idle
        case awaitingScope
        case describing
        case receiving
        case makingDurable
        case finished
    }

    /// Bytes of a signature per `signatureChunk`.
    package static let signatureChunkBytes = 1024 * 1024

    package let group: String
    package let share: String
    /// A full manifest of at most this many entries is kept as the base of the next, incremental one.
    package let baseLimit: Int
    private let previous: [ManifestEntry]?
    private let resume: ResumePoint?
    private let verify: Bool
    private let compressor: ZstdCompressor
    private var state = State.idle
    private var scope = SyncScope(paths: nil, upTo: ResumePoint(captureID: 0, sequence: 0), captureComplete: true)
    /// This sync's manifest when it is the base of the next incremental one (a full comparison within the limit).
    private var manifest: [ManifestEntry] = []
    private var entriesCompared = 0
    private var sent = (entries: 0, removals: 0)
    private var partialsLeft: [String] = []
    private var summary: SyncPlanSummary?
    /// The path of the file being received, while it is.
    private var currentFile: String?
    private var failures: Int64 = 0
    /// A sliced comparison: the slice ending is not the last (`sliceEnd`), and the figures of the slices before.
    private var sliceFollows = false
    private var earlierSlices = (report: SyncDoneReport(filesApplied: 0, bytesWritten: 0, failures: 0), entries: 0)

    /// - Parameter previous: the manifest sent for this share's last full comparison on this connection; with it,
    ///   only what changed since travels.
    /// - Parameter resume: the point of the primary's journal the replica is durable up to; with it, the primary
    ///   may answer with a live sync of only what changed since.
    /// - Parameter verify: a verification: after the manifest, the SHA-256 of every replica file.
    /// - Parameter baseLimit: the largest full manifest kept as the base of the next one (the primary keeps to the
    ///   same rule; a smaller one here only makes the standby send whole manifests more often).
    package init(
        group: String, share: String, previous: [ManifestEntry]?, resume: ResumePoint?, verify: Bool,
        baseLimit: Int = ManifestChanges.baseLimit
    ) throws {
        self.group = group
        self.share = share
        self.baseLimit = baseLimit
        self.previous = previous
        self.resume = resume
        self.verify = verify
        compressor = try ZstdCompressor(level: 3)
    }

    /// What the sync waits for, for a message that says where it ended.
    package var stage: String {
        switch state {
        case .idle, .awaitingScope: "before the sync's scope"
        case .describing: "while the replica was described"
        case .receiving: "during the sync"
        case .makingDurable, .finished: "after the end of the sync"
        }
    }

    package mutating func start() -> [Action] {
        precondition(state == .idle, "a sync starts once")
        state = .awaitingScope
        return [
            .send(
                .openShare(group: group, share: share, incremental: previous != nil, verify: verify, resume: resume)),
            .flush,
        ]
    }

    package mutating func receive(_ message: PeerMessage) throws(PeerSessionError) -> [Action] {
        if case .error(let code, let text) = message { throw .remote(code, text) }
        switch state {
        case .awaitingScope:
            guard case .syncScope(let received) = message else {
                throw .unexpected(message, "instead of the sync's scope")
            }
            // The slices of one comparison share its journal point.
            if sliceFollows, received.slice == nil || received.upTo != scope.upTo {
                throw .refused("the next slice of a sliced comparison came with another scope")
            }
            scope = received
            state = .describing
            // A whole share with no base to diff against comes in slices (the primary's choice), each small by its
            // limit.
            return [.describeReplica(received)]
        case .receiving:
            return try receiveStep(message)
        case .idle, .describing, .makingDurable, .finished:
            throw .unexpected(message, stage)
        }
    }

    /// The replica within the scope: its entries (content hashes, if any, stay here) and the partial copies left by
    /// an interrupted transfer, by final path.
    package mutating func described(_ description: ReplicaDescription) throws -> [Action] {
        try described(entries: description.entries, partials: description.partials)
    }

    /// The replica within the scope, by its entries (the hashes stay here).
    package mutating func described(entries: [ManifestEntry], partials: [String: Int64]) throws -> [Action] {
        precondition(state == .describing, "the replica is described once, when the scope is known")
        state = .receiving
        entriesCompared = entries.count
        // The hashes stay here (a comparison's walk carries none: then the entries go as they are, not copied).
        let described =
            entries.contains { $0.contentHash != nil }
            ? entries.map { entry in
                var entry = entry
                entry.contentHash = nil
                return entry
            } : entries
        let incremental = isWholeShare ? previous : nil
        let (changed, removed) = incremental.map { ManifestChanges.between($0, described) } ?? (described, [])
        // Kept only as the base of the next incremental manifest: a larger one is let go once sent. The first slice of
        // a comparison is the whole share when its walk took in fewer entries than its limit.
        let wholeAfterAll = scope.slice.map { $0.after == nil && described.count < $0.limit } ?? false
        manifest = (isWholeShare || wholeAfterAll) && described.count <= baseLimit ? described : []
        sent = (changed.count, removed.count)
        partialsLeft = partials.keys.sorted()
        var actions: [Action] = []
        var start = 0
        while start < changed.count {
            let end = min(start + ManifestTransfer.chunkEntries, changed.count)
            actions.append(.send(.manifestChunk(try ManifestTransfer.encodeChunk(changed[start..<end], compressor))))
            start = end
        }
        actions.append(
            .send(
                .manifestEnd(
                    partials: partialsLeft.map { PartialFile(path: $0, size: partials[$0]!) }, removed: removed)))
        if verify { actions.append(.sendDigests(of: entries)) }
        actions.append(.flush)
        return actions
    }

    /// A step on `path` could not be taken: the primary hears why (and may send the file whole, or leave out a
    /// name this file system cannot store); the sync goes on. The file being received, if it is that one, is dropped.
    package mutating func failed(path: String, code: WireErrorCode, message: String) -> [Action] {
        failures += 1
        if currentFile == path { currentFile = nil }
        return [.send(.operationFailed(path: path, code: code, message: message))]
    }

    /// The signature asked for, computed: it goes in chunks, and at once (the primary waits for it).
    package func signatureComputed(path: String, _ signature: [UInt8]) -> [Action] {
        var actions: [Action] = []
        var offset = 0
        repeat {
            let end = min(offset + Self.signatureChunkBytes, signature.count)
            actions.append(.send(.signatureChunk(path: path, data: ByteBuffer(bytes: signature[offset..<end]))))
            offset = end
        } while offset < signature.count
        actions.append(.send(.signatureEnd(path: path)))
        actions.append(.flush)
        return actions
    }

    /// Everything applied is durable: save how far, then acknowledge. A slice that another follows is only reported:
    /// the journal point is the whole comparison's, saved after its last slice.
    package mutating func madeDurable(filesApplied: Int64, bytesWritten: Int64) -> [Action] {
        precondition(state == .makingDurable, "durable only after the end of the sync")
        let report = SyncDoneReport(filesApplied: filesApplied, bytesWritten: bytesWritten, failures: failures)
        if sliceFollows {
            state = .awaitingScope
            earlierSlices = (earlierSlices.report + report, earlierSlices.entries + entriesCompared)
            failures = 0
            return [.send(.syncDone(report)), .flush]
        }
        state = .finished
        // A replica that grew past the limit in this sync (a first sync) is not diffed against next time: the next
        // full comparison then goes in slices, and neither node holds the whole tree.
        let small = entriesCompared <= baseLimit && entriesCompared + Int(filesApplied) <= baseLimit
        let base: [ManifestEntry]? = scope.paths == nil ? (small && !manifest.isEmpty ? manifest : nil) : previous
        let outcome = Outcome(
            scope: scope, entriesCompared: earlierSlices.entries + entriesCompared, summary: summary,
            report: earlierSlices.report + report, manifestBase: base,
            manifestEntriesSent: sent.entries, manifestRemovalsSent: sent.removals)
        var actions: [Action] = []
        if scope.upTo.captureID != 0 { actions.append(.saveResumePoint(scope.upTo)) }
        actions += [.send(.syncDone(report)), .flush, .finished(outcome)]
        return actions
    }

    /// The whole share at once (not a live sync's paths, not one slice).
    private var isWholeShare: Bool { scope.paths == nil && scope.slice == nil }

    private mutating func receiveStep(_ message: PeerMessage) throws(PeerSessionError) -> [Action] {
        switch message {
        case .planSummary(let plan):
            summary = summary.map { $0 + plan } ?? plan
            return [.announce(plan)]
        case .operation(let operation):
            guard case .setDirectoryAttributes = operation, !partialsLeft.isEmpty else { return [.apply(operation)] }
            // Directory times come after every file: leftover partial copies go first, since removing one touches
            // its directory.
            defer { partialsLeft = [] }
            return [.removePartials(partialsLeft), .apply(operation)]
        case .fileBegin(let header):
            let discard: [Action] = currentFile == nil ? [] : [.discardFile]
            currentFile = header.path
            return discard + [.beginFile(header)]
        case .fileChunk(let data):
            // After a file that could not be begun, its chunks are passed over.
            return currentFile == nil ? [] : [.receiveChunk(data, compressed: true)]
        case .fileChunkStored(let data):
            return currentFile == nil ? [] : [.receiveChunk(data, compressed: false)]
        case .fileEnd(let hash):
            guard let path = currentFile else { return [] }
            currentFile = nil
            return [.commitFile(path: path, contentHash: hash)]
        case .fileAbandon:
            failures += 1
            defer { currentFile = nil }
            return currentFile == nil ? [] : [.discardFile]
        case .signatureRequest(let path, let basis):
            return [.computeSignature(path: path, basis: basis)]
        case .compressionDictionary(let id, let data):
            return [.addDictionary(id: id, compressed: data)]
        case .syncEnd, .sliceEnd:
            if message == .sliceEnd && scope.slice == nil {
                throw .unexpected(message, "in a sync that is not sliced")
            }
            sliceFollows = message == .sliceEnd
            state = .makingDurable
            let discard: [Action] = currentFile == nil ? [] : [.discardFile]
            currentFile = nil
            defer { partialsLeft = [] }
            return discard + [.makeDurable(removingPartials: partialsLeft)]
        default:
            throw .unexpected(message, stage)
        }
    }
}
