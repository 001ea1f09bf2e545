import NIOCore
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudySession
import UnderstudyTransport
import UnderstudyWire

/// The standby's I/O for one sync: performs `StandbySyncMachine`'s actions on the replica through `ReplicaWriter`
/// (atomic, batched, durable) and on the connection, keeps the status and the log, and tells the machine each
/// result that it needs.
struct StandbyReplicaSteps {
    typealias Action = StandbySyncMachine.Action

    let context: ShareContext
    let applyOwnership: Bool
    let started: Double
    /// The replica's writer, once the scope is known.
    private var replica: ReplicaWriter?
    /// Content hashes the index vouches for, from the walk: a rename's source is checked against them first.
    private var knownHashes: [String: [UInt8]] = [:]
    /// The file being received.
    private(set) var current: IncomingFile?
    private var progressLog: ProgressLogger

    init(context: ShareContext, applyOwnership: Bool, started: Double) {
        self.context = context
        self.applyOwnership = applyOwnership
        self.started = started
        progressLog = ProgressLogger(now: started)
    }

    /// Performs one action; returns what the machine says next (after a result it must know).
    mutating func perform(
        _ action: Action, writer frames: FrameWriter, machine: inout StandbySyncMachine
    ) async throws -> [Action] {
        switch action {
        case .send(let message):
            try await frames.send(message)
        case .flush:
            try await frames.flush()
        case .describeReplica(let scope):
            let (entries, partials) = try describe(scope)
            return try machine.described(entries: entries, partials: partials)
        case .sendDigests(let entries):
            try await sendDigests(of: entries, writer: frames)
        case .announce(let plan):
            announce(plan)
        case .removePartials(let paths):
            let replica = try writer()
            do {
                try replica.flush()  // a file received moments ago may still be in the batch
            } catch {
                return fail(error.path, error, &machine)
            }
            replica.removePartials(paths)
        case .apply(let operation):
            do {
                if case .rename(let from, let to, let expected) = operation {
                    try checkRenameSource(from, to: to, expected: expected)
                }
                try writer().apply(operation)
            } catch {
                return fail(operation.touchedPaths.last ?? "", error, &machine)
            }
        case .beginFile(let header):
            current?.discard()
            do {
                current = try writer().beginFile(header)
            } catch {
                current = nil
                return fail(header.path, error, &machine)
            }
        case .receiveChunk(let data):
            return receive(data, &machine)
        case .commitFile(let path, let hash):
            guard let file = current else { return [] }
            current = nil
            do {
                try writer().commit(file, expectedHash: hash)
                context.status.updateProgress(group: context.group.name, share: context.share.name) {
                    $0.filesDone += 1
                }
            } catch {
                return fail(path, error, &machine)
            }
            progressLog.maybeLog(context, "receiving")
        case .discardFile:
            current?.discard()
            current = nil
        case .computeSignature(let path, let basis):
            var signature: [UInt8] = []
            do {
                try writer().signature(of: path, basis: basis) { signature.append(contentsOf: $0) }
            } catch {
                return fail(path, error, &machine)
            }
            return machine.signatureComputed(path: path, signature)
        case .makeDurable(let partials):
            let replica = try writer()
            try replica.makeDurable()
            storeKeptVersions(context.archiving.history)
            replica.removePartials(partials)
            let changes = replica.takeIndexChanges()
            context.index.apply(records: changes.records, removed: changes.removed, renamed: changes.renamed)
            return machine.madeDurable(filesApplied: replica.filesApplied, bytesWritten: replica.bytesWritten)
        case .saveResumePoint(let point):
            try context.database.saveResumePoint(point, share: context.key)
        case .finished:
            break
        }
        return []
    }

    private func writer() throws -> ReplicaWriter {
        guard let replica else { throw PeerSessionError.refused("a replica step came before the sync's scope") }
        return replica
    }

    /// Walks the replica within the scope and opens its writer (removing our leftover temporaries on the way).
    private mutating func describe(_ scope: SyncScope) throws -> ([ManifestEntry], [String: Int64]) {
        let share = try ShareDirectory(path: context.localPath, create: true)
        let scan = try TreeScanner(filter: context.share.filter, index: context.index.snapshot).scan(
            share, scope: scope.paths ?? [ScopedPath("", recursive: true)])
        var options = ReplicaWriter.Options(applyOwnership: applyOwnership)
        options.history = context.archiving.history
        options.breakSharedInodes = context.archiving.sharesInodes
        let replica = try ReplicaWriter(share: share, options: options)
        replica.removeTemporaries(scan.temporaries)
        self.replica = replica
        // The replica's own hashes (reused from the index where a file is provably unchanged) check renames.
        knownHashes = Dictionary(
            scan.entries.lazy.compactMap { entry in entry.contentHash.map { (entry.path, $0) } },
            uniquingKeysWith: { first, _ in first })
        return (scan.entries, scan.partials)
    }

    private func announce(_ plan: SyncPlanSummary) {
        let group = context.group.name
        let share = context.share.name
        context.status.setProgress(
            group: group, share: share,
            TransferProgress(filesTotal: Int64(plan.files), bytesTotal: plan.bytes, startedAt: started))
        context.status.update(group: group, share: share) { status in
            if status.lastSyncAt != nil && plan.operationCount > 0 { status.state = .behind }
        }
        if plan.operationCount > 0 {
            context.logger.info(
                "sync \(context.key): receiving \(plan.files) files (\(ByteCount.format(plan.bytes)), \(plan.deltas) as deltas), \(plan.directories) directories, \(plan.renames) renames, \(plan.deletions) deletions"
            )
        }
    }

    private mutating func receive(_ data: ByteBuffer, _ machine: inout StandbySyncMachine) -> [Action] {
        guard let file = current else { return [] }
        let before = file.bytesWritten
        do {
            try data.withUnsafeReadableBytes { try file.receive($0) }
            // Progress moves with every chunk, so one multi-GiB file does not look stalled.
            context.status.updateProgress(group: context.group.name, share: context.share.name) {
                $0.bytesDone += file.bytesWritten - before
            }
            progressLog.maybeLog(context, "receiving")
            return []
        } catch {
            file.discard()
            current = nil
            return fail(file.header.path, error, &machine)
        }
    }

    /// A step that could not be taken: logged (a lasting problem meets every retry: told once, then at debug
    /// level) and told to the primary through the machine.
    private func fail(_ path: String, _ error: Error, _ machine: inout StandbySyncMachine) -> [Action] {
        let code = StandbyShareSync.wireCode(for: error)
        let isNew = context.pathWarnings.isNew("apply \(code.rawValue) \(path)")
        if code == .pathRefused {
            context.logger.log(
                level: isNew ? .error : .debug,
                "refused \(RelativePath.shown(path)) from the primary for \(context.key): \(error); nothing written")
            if isNew { context.event(.error, .pathRefused, "refused \(RelativePath.shown(path)): \(error)") }
        } else {
            let retry =
                code == .nameUnusable
                ? "the primary leaves it out of the mirror" : "retried at growing intervals; told once"
            context.logger.log(
                level: isNew ? .warning : .debug,
                "could not apply \(RelativePath.shown(path)) in \(context.key): \(error) (\(retry))")
        }
        return machine.failed(path: path, code: code, message: "\(error)")
    }

    /// Records the prior versions the batch kept, now that the batch that replaced them is durable.
    private func storeKeptVersions(_ keeper: (any ShareHistory)?) {
        guard let keeper else { return }
        let (records, failed) = keeper.take()
        do {
            try context.database.insertHistory(records)
        } catch {
            context.logger.warning(
                "could not record \(records.count) kept versions of \(context.key): \(error); they will be removed as orphans at the next start"
            )
        }
        if failed > 0 {
            context.logger.warning(
                "history \(context.key): \(failed) prior versions could not be kept (could not link them into the history directory)"
            )
        }
    }

    /// Reads every replica file for a verification — the index is not trusted here, that is the point — and
    /// sends the digests in chunks. A file that cannot be read now is left out (and so not judged).
    private func sendDigests(of entries: [ManifestEntry], writer frames: FrameWriter) async throws {
        let replica = try writer()
        var chunk: [PathDigest] = []
        for entry in entries where entry.kind == .file {
            guard let digest = try? replica.contentHash(of: entry.path) else { continue }
            chunk.append(PathDigest(path: entry.path, digest: digest))
            if chunk.count == ManifestTransfer.chunkEntries {
                try await frames.send(.contentDigests(chunk, last: false))
                chunk.removeAll(keepingCapacity: true)
            }
        }
        try await frames.send(.contentDigests(chunk, last: true))
    }

    /// A rename moves content the replica already has: refuse it unless the file under the old name has the
    /// content the primary's file has (the plan matched it by size and mtime only).
    private func checkRenameSource(_ from: String, to: String, expected: [UInt8]?) throws {
        guard let expected else {
            throw FileSystemError(.contentMismatch, operation: "rename without a content hash; not renamed", path: to)
        }
        let replica = try writer()
        try replica.flush()  // the old name may be a file received moments ago, still in the batch
        let actual = try knownHashes[from] ?? replica.contentHash(of: from)
        guard actual == expected else {
            throw FileSystemError(
                .contentMismatch,
                operation: "rename source \(String(reflecting: from)) holds other content; not renamed", path: to)
        }
    }
}
