#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import UnderstudyCore
import UnderstudyDelta
import UnderstudyFileSystem
import UnderstudySession
import UnderstudyTransport
import UnderstudyWire

/// The standby's half of one share's sync: describe the replica, then apply what the primary streams, through
/// `ReplicaWriter` (atomic, batched, durable) — and answer signature requests for deltas on the way.
package struct StandbyShareSync {
    package struct Outcome: Sendable {
        package var scope: SyncScope
        /// Entries of the replica walked for this sync.
        package var entriesCompared: Int
        package var summary: SyncPlanSummary?
        package var report: SyncDoneReport
        package var bytesReceived: Int64
        package var seconds: Double
    }

    let context: ShareContext
    let applyOwnership: Bool

    /// - Parameter previous: the manifest sent for this share's last full comparison on this connection; when
    ///   there is one, only what changed since travels. Replaced by this sync's manifest if it is a full one.
    /// - Parameter resume: the point of the primary's journal the replica is durable up to; with it, the
    ///   primary may answer with a live sync of only what changed since.
    /// - Parameter verify: a verification: after the manifest, the SHA-256 of every replica file, read now.
    package func run(
        inbox: PeerInbox, writer: FrameWriter, previous: inout [ManifestEntry]?, resume: ResumePoint?,
        verify: Bool = false,
        bytesReceived: @Sendable () -> Int64
    ) async throws -> Outcome {
        // Archives and in-place restores wait for this sync, and it for them: an archive is never half a burst.
        await context.replicaGate.acquire()
        defer { context.replicaGate.release() }
        let started = context.now()
        let receivedBefore = bytesReceived()
        let group = context.group.name
        let shareName = context.share.name
        try await writer.send(
            .openShare(group: group, share: shareName, incremental: previous != nil, verify: verify, resume: resume))
        try await writer.flush()
        let scope: SyncScope
        switch try await inbox.next() {
        case .syncScope(let received): scope = received
        case .error(let code, let text): throw PeerSessionError.remote(code, text)
        case .some(let message): throw PeerSessionError.unexpected(message, "instead of the sync's scope")
        case nil: throw PeerSessionError.closed("before the sync's scope")
        }

        let share = try ShareDirectory(path: context.localPath, create: true)
        let scanScope = scope.paths ?? [ScopedPath("", recursive: true)]
        let scan = try TreeScanner(filter: context.share.filter, index: context.index.snapshot).scan(
            share, scope: scanScope)
        var writerOptions = ReplicaWriter.Options(applyOwnership: applyOwnership)
        writerOptions.history = context.archiving.history
        writerOptions.breakSharedInodes = context.archiving.sharesInodes
        let replicaWriter = try ReplicaWriter(share: share, options: writerOptions)
        replicaWriter.removeTemporaries(scan.temporaries)
        // What the primary learns: every entry the first time, then only entries that differ from last time.
        let currentManifest = scan.entries.map { entry in
            var entry = entry
            entry.contentHash = nil
            return entry
        }
        let incremental = scope.paths == nil ? previous : nil
        let (changed, removed) =
            incremental.map { ManifestChanges.between($0, currentManifest) } ?? (currentManifest, [])
        let compressor = try ZstdCompressor(level: 3)
        var start = 0
        while start < changed.count {
            let end = min(start + ManifestTransfer.chunkEntries, changed.count)
            try await writer.send(.manifestChunk(try ManifestTransfer.encodeChunk(changed[start..<end], compressor)))
            start = end
        }
        // The replica's own hashes (reused from the index where a file is provably unchanged) check renames.
        let knownHashes = Dictionary(
            scan.entries.lazy.compactMap { entry in entry.contentHash.map { (entry.path, $0) } },
            uniquingKeysWith: { first, _ in first })
        try await writer.send(
            .manifestEnd(partials: scan.partials.map { PartialFile(path: $0.key, size: $0.value) }, removed: removed))
        if verify { try await sendDigests(of: scan.entries, reading: replicaWriter, writer: writer) }
        try await writer.flush()

        var summary: SyncPlanSummary?
        var partialsLeft = Array(scan.partials.keys)
        var current: IncomingFile?
        var failures: Int64 = 0
        var progressLog = ProgressLogger(now: context.now())
        func fail(_ path: String, _ error: Error) async throws {
            failures += 1
            let code = Self.wireCode(for: error)
            // A lasting problem meets every retry: told once, then at debug level.
            let isNew = context.pathWarnings.isNew("apply \(code.rawValue) \(path)")
            if code == .pathRefused {
                context.logger.log(
                    level: isNew ? .error : .debug,
                    "refused \(RelativePath.shown(path)) from the primary for \(context.key): \(error); nothing written"
                )
                if isNew { context.event(.error, "path-refused", "refused \(RelativePath.shown(path)): \(error)") }
            } else {
                let retry =
                    code == .nameUnusable
                    ? "the primary leaves it out of the mirror" : "retried at growing intervals; told once"
                context.logger.log(
                    level: isNew ? .warning : .debug,
                    "could not apply \(RelativePath.shown(path)) in \(context.key): \(error) (\(retry))")
            }
            try await writer.send(.operationFailed(path: path, code: code, message: "\(error)"))
        }

        loop: while true {
            guard let message = try await inbox.next() else { throw PeerSessionError.closed("during the sync") }
            switch message {
            case .planSummary(let plan):
                summary = plan
                context.status.setProgress(
                    group: group, share: shareName,
                    TransferProgress(filesTotal: Int64(plan.files), bytesTotal: plan.bytes, startedAt: started))
                context.status.update(group: group, share: shareName) { status in
                    if status.lastSyncAt != nil && plan.operationCount > 0 { status.state = .behind }
                }
                if plan.operationCount > 0 {
                    context.logger.info(
                        "sync \(context.key): receiving \(plan.files) files (\(ByteCount.format(plan.bytes)), \(plan.deltas) as deltas), \(plan.directories) directories, \(plan.renames) renames, \(plan.deletions) deletions"
                    )
                }
            case .operation(let operation):
                do {
                    if case .setDirectoryAttributes = operation, !partialsLeft.isEmpty {
                        // Directory times come after every file: leftover partial copies go first, since removing
                        // one touches its directory.
                        try replicaWriter.flush()
                        replicaWriter.removePartials(partialsLeft)
                        partialsLeft = []
                    }
                    if case .rename(let from, let to, let expected) = operation {
                        try checkRenameSource(
                            from, to: to, expected: expected, knownHashes: knownHashes, writer: replicaWriter)
                    }
                    try replicaWriter.apply(operation)
                } catch {
                    try await fail(operation.touchedPaths.last ?? "", error)
                }
            case .fileBegin(let header):
                current?.discard()
                do {
                    current = try replicaWriter.beginFile(header)
                } catch {
                    current = nil
                    try await fail(header.path, error)
                }
            case .fileChunk(let data):
                guard let file = current else { continue }
                let before = file.bytesWritten
                do {
                    try data.withUnsafeReadableBytes { try file.receive($0) }
                    // Progress moves with every chunk, so one multi-GiB file does not look stalled.
                    context.status.updateProgress(group: group, share: shareName) {
                        $0.bytesDone += file.bytesWritten - before
                    }
                    progressLog.maybeLog(context, "receiving")
                } catch {
                    file.discard()
                    current = nil
                    try await fail(file.header.path, error)
                }
            case .fileEnd(let hash):
                guard let file = current else { continue }
                current = nil
                do {
                    try replicaWriter.commit(file, expectedHash: hash)
                    context.status.updateProgress(group: group, share: shareName) { $0.filesDone += 1 }
                } catch {
                    try await fail(file.header.path, error)
                }
                progressLog.maybeLog(context, "receiving")
            case .fileAbandon:
                current?.discard()
                current = nil
                failures += 1
            case .signatureRequest(let path, let basis):
                var signature: [UInt8] = []
                do {
                    try replicaWriter.signature(of: path, basis: basis) { signature.append(contentsOf: $0) }
                } catch {
                    try await fail(path, error)
                    continue
                }
                var offset = 0
                repeat {
                    let end = min(offset + 1024 * 1024, signature.count)
                    try await writer.send(.signatureChunk(path: path, data: ByteBuffer(bytes: signature[offset..<end])))
                    offset = end
                } while offset < signature.count
                try await writer.send(.signatureEnd(path: path))
                try await writer.flush()
            case .syncEnd:
                break loop
            case .error(let code, let text):
                throw PeerSessionError.remote(code, text)
            default:
                throw PeerSessionError.unexpected(message, "during the sync")
            }
        }
        current?.discard()
        try replicaWriter.makeDurable()
        storeKeptVersions(context.archiving.history)
        replicaWriter.removePartials(partialsLeft)
        let changes = replicaWriter.takeIndexChanges()
        context.index.apply(records: changes.records, removed: changes.removed, renamed: changes.renamed)
        let report = SyncDoneReport(
            filesApplied: replicaWriter.filesApplied, bytesWritten: replicaWriter.bytesWritten, failures: failures)
        // The replica is durable (flushed above); the point is saved before the primary hears of it, so the
        // primary never forgets a change the standby could still need after a crash.
        if scope.upTo.captureID != 0 { try context.database.saveResumePoint(scope.upTo, share: context.key) }
        try await writer.send(.syncDone(report))
        try await writer.flush()
        if scope.paths == nil { previous = currentManifest.count <= ManifestChanges.baseLimit ? currentManifest : nil }
        let seconds = context.now() - started
        context.logger.debug(
            "sync \(context.key): manifest of \(changed.count) of \(scan.entries.count) entries and \(removed.count) removals sent"
        )
        return Outcome(
            scope: scope, entriesCompared: scan.entries.count, summary: summary, report: report,
            bytesReceived: bytesReceived() - receivedBefore, seconds: seconds)
    }

    /// What the primary is told about a file that could not be applied. A name this file system cannot store (too
    /// long for it, bytes it refuses) is `nameUnusable`: retrying cannot help, so the primary stops sending it.
    static func wireCode(for error: Error) -> WireErrorCode {
        guard let error = error as? FileSystemError else { return .applyFailed }
        switch error.code {
        case .pathRefused: return .pathRefused
        case .contentMismatch: return .contentMismatch
        default: return [ENAMETOOLONG, EILSEQ].contains(error.errnoValue) ? .nameUnusable : .applyFailed
        }
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
    private func sendDigests(
        of entries: [ManifestEntry], reading replica: ReplicaWriter, writer: FrameWriter
    ) async throws {
        var chunk: [PathDigest] = []
        for entry in entries where entry.kind == .file {
            guard let digest = try? replica.contentHash(of: entry.path) else { continue }
            chunk.append(PathDigest(path: entry.path, digest: digest))
            if chunk.count == ManifestTransfer.chunkEntries {
                try await writer.send(.contentDigests(chunk, last: false))
                chunk.removeAll(keepingCapacity: true)
            }
        }
        try await writer.send(.contentDigests(chunk, last: true))
    }

    /// A rename moves content the replica already has: refuse it unless the file under the old name has the
    /// content the primary's file has (the plan matched it by size and mtime only).
    private func checkRenameSource(
        _ from: String, to: String, expected: [UInt8]?, knownHashes: [String: [UInt8]],
        writer: ReplicaWriter
    ) throws {
        guard let expected else {
            throw FileSystemError(.contentMismatch, operation: "rename without a content hash; not renamed", path: to)
        }
        try writer.flush()  // the old name may be a file received moments ago, still in the batch
        let actual = try knownHashes[from] ?? writer.contentHash(of: from)
        guard actual == expected else {
            throw FileSystemError(
                .contentMismatch,
                operation: "rename source \(String(reflecting: from)) holds other content; not renamed", path: to)
        }
    }

    package init(context: ShareContext, applyOwnership: Bool) {
        self.context = context
        self.applyOwnership = applyOwnership
    }
}
