import NIOCore
import UnderstudyCore
import UnderstudyDelta
import UnderstudyWire

/// The primary's half of one share's sync (after it chose the scope), as a state machine: it collects the replica's
/// manifest (and, for a verification, its digests), asks for a plan, and streams it without waiting for round
/// trips: signature requests for every delta first, everything that needs no signature at once, each delta as soon
/// as its signature arrives, hard links to a deferred file after it, directory times last, then `syncEnd`. The
/// sync ends when the standby reports everything durable (`syncDone`).
///
/// It reads no file and no socket: the I/O code performs its actions in order (sends and file transfers on one
/// writer) while it keeps feeding the standby's messages, so signatures are read while files go out.
package struct PrimarySyncMachine {
    package enum Action: Equatable, Sendable {
        case send(PeerMessage)
        case flush
        /// The replica's side is complete: plan against the source tree, then answer with `planned(_:sourceEntries:)`.
        case plan(replica: [String: ManifestEntry], partials: [String: Int64], replicaDigests: [String: [UInt8]])
        /// Read a source file and send it: fileBegin, fileChunk*, then fileEnd (or fileAbandon if it changes while
        /// read); with a signature, as a delta against the replica's copy.
        case sendFile(path: String, basis: DeltaBasis, signature: [UInt8]?)
        /// The standby could not apply a step: for the log and for what the share remembers (send it whole next
        /// time, leave out a name the standby cannot store).
        /// `renameSources`: the old names of the refused renames to `path` (sent as files from now on).
        case standbyFailed(path: String, code: WireErrorCode, message: String, renameSources: [String])
        case finished(Outcome)
    }

    package struct Outcome: Equatable, Sendable {
        package var report: SyncDoneReport
        package var summary: SyncPlanSummary
        /// The replica's manifest after a full comparison (the base for the next incremental one); nil after a
        /// live sync, which leaves the base as it was.
        package var replicaManifest: [String: ManifestEntry]?
        /// Paths that must go again: the standby could not apply them (a refused rename's source with them).
        package var failedPaths: Set<String>
    }

    private enum State: Equatable {
        case receivingManifest
        case receivingDigests
        case planning
        case sending
        case finished
    }

    package let scope: SyncScope
    private let verify: Bool
    private let decompressor: ZstdDecompressor
    private var state = State.receivingManifest
    private var replicaByPath: [String: ManifestEntry]
    private var partials: [String: Int64] = [:]
    private var replicaDigests: [String: [UInt8]] = [:]
    private var plan = SyncPlan(operations: [])
    /// The plan's figures, counted once (empty before the plan).
    package private(set) var summary = SyncPlanSummary()
    /// Deltas waiting for their signature, and the hard links that wait for them.
    private var deferred: [String: DeltaBasis] = [:]
    private var deferredLinks: [String: [SyncOperation]] = [:]
    /// Directory times, set after everything inside.
    private var trailing: [SyncOperation] = []
    private var signatures: [String: [UInt8]] = [:]
    private var failedPaths: Set<String> = []
    private var ended = false
    /// A slice of a sliced comparison that another follows: it ends with `sliceEnd`.
    private var sliceFollows = false

    /// - Parameter scope: what this sync compares (already sent to the standby).
    /// - Parameter base: the replica manifest received for this share earlier on this connection, when the standby
    ///   sends only changes.
    /// - Parameter verify: the standby sends the digests of its files after the manifest.
    package init(scope: SyncScope, base: [String: ManifestEntry]?, verify: Bool) throws {
        self.scope = scope
        self.verify = verify
        replicaByPath = scope.paths == nil && scope.slice == nil ? base ?? [:] : [:]
        decompressor = try ZstdDecompressor()
    }

    /// What the sync waits for, for a message that says where it ended.
    package var stage: String {
        switch state {
        case .receivingManifest: "while receiving the replica's manifest"
        case .receivingDigests: "while receiving the replica's digests"
        case .planning, .sending: "during the sync"
        case .finished: "after the sync"
        }
    }

    /// True while the stream of the plan is not complete (a cancelled sync says so).
    package var isSending: Bool { state == .sending && !ended }

    package mutating func receive(_ message: PeerMessage) throws -> [Action] {
        if case .error(let code, let text) = message { throw PeerSessionError.remote(code, text) }
        switch (state, message) {
        case (.receivingManifest, .manifestChunk(let compressed)):
            for entry in try ManifestTransfer.decodeChunk(compressed, decompressor) {
                replicaByPath[entry.path] = entry
            }
            return []
        case (.receivingManifest, .manifestEnd(let list, let removed)):
            for partial in list { partials[partial.path] = partial.size }
            for path in removed { replicaByPath[path] = nil }
            if verify {
                state = .receivingDigests
                return []
            }
            return askForPlan()
        case (.receivingDigests, .contentDigests(let digests, let last)):
            for item in digests { replicaDigests[item.path] = item.digest }
            return last ? askForPlan() : []
        case (.sending, .signatureChunk(let path, let data)):
            signatures[path, default: []].append(contentsOf: data.readableBytesView)
            return []
        case (.sending, .signatureEnd(let path)):
            let signature = signatures.removeValue(forKey: path) ?? []
            // A signature nobody asked for (or asked for twice) is passed over.
            guard let basis = deferred.removeValue(forKey: path) else { return [] }
            return send(path, basis: basis, signature: signature)
        case (.sending, .operationFailed(let path, let code, let text)):
            return standbyFailed(path, code: code, text: text)
        case (.sending, .syncDone(let report)) where ended:
            state = .finished
            return [
                .finished(
                    Outcome(
                        report: report, summary: summary,
                        replicaManifest: comparedWholeShare ? replicaByPath : nil, failedPaths: failedPaths))
            ]
        default:
            throw PeerSessionError.unexpected(message, stage)
        }
    }

    /// The plan, with the number of entries of the source tree within the scope.
    /// - Parameter sendWhole: files whose last delta did not reproduce the source: sent whole, without a signature.
    /// - Parameter source: the source tree's name, for a refusal.
    /// - Parameter sliceFollows: this is a slice of a sliced comparison, and not the last.
    package mutating func planned(
        _ plan: SyncPlan, sourceEntries: Int, sendWhole: Set<String> = [], source: String = "the source",
        sliceFollows: Bool = false
    ) throws(PeerSessionError) -> [Action] {
        precondition(state == .planning, "a plan is made once, after the replica's manifest")
        precondition(!sliceFollows || scope.slice != nil, "only a slice is followed by another")
        self.sliceFollows = sliceFollows
        // The first slice holds the root: an empty source shows there.
        if scope.paths == nil && scope.slice?.after == nil && sourceEntries == 1 && replicaByPath.count > 1 {
            // An empty source over a populated replica is far more often an unmounted disk than a real wipe.
            throw .refused(
                "source \(source) is empty but the replica holds \(replicaByPath.count - 1) entries; refusing to delete them all — if the share really was emptied, delete the replica's content by hand"
            )
        }
        state = .sending
        self.plan = plan
        summary = plan.summary
        var actions: [Action] = [.send(.planSummary(summary))]
        for case .sendFile(let path, _, let basis) in plan.operations where basis != .none && !sendWhole.contains(path)
        {
            deferred[path] = basis
            actions.append(.send(.signatureRequest(path: path, basis: basis)))
        }
        actions.append(.flush)
        for operation in plan.operations {
            switch operation {
            case .sendFile(let path, _, _):
                if deferred[path] == nil { actions.append(.sendFile(path: path, basis: .none, signature: nil)) }
            case .makeHardLink(_, let target) where deferred[target] != nil:
                deferredLinks[target, default: []].append(operation)
            case .setDirectoryAttributes:
                trailing.append(operation)
            default:
                actions.append(.send(.operation(operation)))
            }
        }
        actions.append(.flush)
        return actions + endIfComplete()
    }

    private mutating func askForPlan() -> [Action] {
        state = .planning
        return [.plan(replica: replicaByPath, partials: partials, replicaDigests: replicaDigests)]
    }

    private mutating func standbyFailed(_ path: String, code: WireErrorCode, text: String) -> [Action] {
        var sources: [String] = []
        // A name the standby cannot store is left out from now on: sending it again cannot help.
        if code != .nameUnusable {
            failedPaths.insert(path)
            // A refused rename leaves its source where it was: the retry must look at it too, or a file taken for a
            // rename source would never be deleted until the next full comparison.
            for case .rename(let from, let to, _) in plan.operations where to == path {
                failedPaths.insert(from)
                sources.append(from)
            }
        }
        var actions: [Action] = [.standbyFailed(path: path, code: code, message: text, renameSources: sources)]
        // No usable basis on the replica (it vanished or could not be read): the delta goes whole.
        if deferred.removeValue(forKey: path) != nil {
            actions += send(path, basis: .none, signature: nil)
        }
        return actions
    }

    private mutating func send(_ path: String, basis: DeltaBasis, signature: [UInt8]?) -> [Action] {
        var actions: [Action] = [.sendFile(path: path, basis: basis, signature: signature)]
        for link in deferredLinks.removeValue(forKey: path) ?? [] { actions.append(.send(.operation(link))) }
        return actions + endIfComplete()
    }

    /// Once no delta waits for its signature: directory times, then the end of the stream.
    private mutating func endIfComplete() -> [Action] {
        guard deferred.isEmpty, !ended else { return [] }
        ended = true
        return trailing.map { .send(.operation($0)) } + [.send(sliceFollows ? .sliceEnd : .syncEnd), .flush]
    }

    /// The replica's manifest is the whole share's: not a live sync, and not a slice unless the only one.
    private var comparedWholeShare: Bool {
        scope.paths == nil && (scope.slice.map { $0.after == nil && !sliceFollows } ?? true)
    }
}
