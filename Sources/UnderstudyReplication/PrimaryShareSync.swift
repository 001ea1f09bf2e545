import Logging
import NIOCore
import UnderstudyCore
import UnderstudyDelta
import UnderstudyFileSystem
import UnderstudySession
import UnderstudyState
import UnderstudyTransport
import UnderstudyWire

/// The primary's half of one share's sync: receive the replica's manifest while scanning the source, plan,
/// then stream the plan while a reader collects signatures and failures from the standby, until the standby
/// reports everything durable (`syncDone`).
package struct PrimaryShareSync {
    enum SenderEvent: Sendable {
        case signature(path: String, data: [UInt8])
        case failed(path: String, message: String)
    }

    package struct Outcome {
        /// The replica's manifest after a full comparison (the base for the next incremental one); nil after a
        /// live sync, which leaves the base as it was.
        package var replicaManifest: [String: ManifestEntry]?
        /// Paths that must go again: the standby could not apply them, or they changed while read.
        package var failedPaths: Set<String>
    }

    let context: ShareContext
    let planner: SyncPlanner

    /// - Parameter scope: what this sync compares (already sent to the standby).
    /// - Parameter base: the replica manifest received for this share earlier on this connection, when the
    ///   standby sends only changes.
    /// - Parameter verify: the standby sends the digests of its files after the manifest; files equal by size and
    ///   time but not by content are sent again, and reported.
    package func run(
        inbound: inout NIOAsyncChannelInboundStream<PeerMessage>.AsyncIterator, writer: FrameWriter,
        scope: SyncScope, base: [String: ManifestEntry]?, verify: Bool = false
    ) async throws -> Outcome {
        let started = context.now()
        let sourcePath = context.localPath
        let filter = context.share.filter
        let indexSnapshot = context.index.snapshot
        let scanScope = scope.paths ?? [ScopedPath("", recursive: true)]
        let scanTask = Task { () throws -> TreeScanner.Result in
            let share = try ShareDirectory(path: sourcePath, create: false)
            return try TreeScanner(filter: filter, index: indexSnapshot).scan(share, scope: scanScope)
        }
        defer { scanTask.cancel() }

        var replicaByPath = scope.paths == nil ? base ?? [:] : [:]
        var partials: [String: Int64] = [:]
        let decompressor = try ZstdDecompressor()
        receiving: while true {
            guard let message = try await inbound.next() else {
                throw PeerSessionError.closed("while receiving the replica's manifest")
            }
            switch message {
            case .manifestChunk(let compressed):
                for entry in try ManifestTransfer.decodeChunk(compressed, decompressor) {
                    replicaByPath[entry.path] = entry
                }
            case .manifestEnd(let list, let removed):
                for partial in list { partials[partial.path] = partial.size }
                for path in removed { replicaByPath[path] = nil }
                break receiving
            case .error(let code, let text): throw PeerSessionError.remote(code, text)
            default: throw PeerSessionError.unexpected(message, "while receiving the replica's manifest")
            }
        }
        let replicaDigests = verify ? try await receiveDigests(&inbound) : [:]
        let scan = try await scanTask.value
        if scope.paths == nil && scan.entries.count == 1 && replicaByPath.count > 1 {
            // An empty source over a populated replica is far more often an unmounted disk than a real wipe.
            throw PeerSessionError.refused(
                "source \(sourcePath) is empty but the replica holds \(replicaByPath.count - 1) entries; refusing to delete them all — if the share really was emptied, delete the replica's content by hand"
            )
        }
        for skipped in scan.skipped where context.pathWarnings.isNew("skip \(skipped.path)") {
            context.logger.warning(
                "not mirrored: \(RelativePath.shown(skipped.path)) in \(context.key): \(skipped.reason)")
        }
        if case let untold = context.pathWarnings.takeUntold(), untold > 0 {
            context.logger.warning(
                "\(context.key): \(untold) more path problems since the last report, not told one by one")
        }
        // Names the standby's file system cannot store stay out of the plan: sending them again cannot help.
        let unusable = context.unusablePaths.all
        let sourceEntries =
            unusable.isEmpty
            ? scan.entries
            : scan.entries.filter { entry in
                // The path or one of its ancestors: a lookup per component, not per unusable path.
                var path = Substring(entry.path)
                while true {
                    if unusable.contains(String(path)) { return false }
                    guard let slash = path.lastIndex(of: "/") else { return true }
                    path = path[..<slash]
                }
            }
        let sourceShare = try ShareDirectory(path: sourcePath, create: false)
        let fileSender = try FileSender(share: sourceShare)
        let planned = planner.plan(source: sourceEntries, replicaByPath: replicaByPath, partials: partials)
        let renamesFilled = fillRenameHashes(planned, source: sourceEntries, index: indexSnapshot, sender: fileSender)
        let plan =
            verify
            ? verified(renamesFilled, source: sourceEntries, replicaDigests: replicaDigests, sender: fileSender)
            : renamesFilled
        let summary = plan.summary
        let logLevel: Logger.Level = scope.paths == nil || summary.files > 100 ? .info : .debug
        let kind = scope.paths == nil ? "full comparison" : "live sync"
        context.logger.log(
            level: logLevel,
            "\(kind) \(context.key): \(summary.files) files to send (\(ByteCount.format(summary.bytes)), \(summary.deltas) as deltas), \(summary.directories) directories, \(summary.renames) renames, \(summary.deletions) deletions, \(summary.attributeUpdates) attribute updates"
        )
        context.status.setProgress(
            group: context.group.name, share: context.share.name,
            TransferProgress(filesTotal: Int64(summary.files), bytesTotal: summary.bytes, startedAt: started))
        try await writer.send(.planSummary(summary))

        let (events, continuation) = AsyncStream.makeStream(of: SenderEvent.self)
        let sender = PlanSender(context: context, fileSender: fileSender, writer: writer)
        let bytesBefore = writer.bytesWritten
        var failedPaths: Set<String> = []
        let report: SyncDoneReport = try await withThrowingTaskGroup(of: PlanSender.Result.self) { group in
            group.addTask { try await sender.run(plan, events: events) }
            var signatures: [String: [UInt8]] = [:]
            var done: SyncDoneReport?
            while done == nil {
                guard let message = try await inbound.next() else { throw PeerSessionError.closed("during the sync") }
                switch message {
                case .signatureChunk(let path, let data):
                    signatures[path, default: []].append(contentsOf: data.readableBytesView)
                case .signatureEnd(let path):
                    continuation.yield(.signature(path: path, data: signatures.removeValue(forKey: path) ?? []))
                case .operationFailed(let path, let code, let text):
                    let isNew = context.pathWarnings.isNew("failed \(code.rawValue) \(path)")
                    if code == .nameUnusable {
                        context.unusablePaths.insert(path)
                        context.logger.log(
                            level: isNew ? .warning : .debug,
                            "not mirrored: \(RelativePath.shown(path)) in \(context.key): the standby's file system cannot store that name (\(text)); it is left out until understudy restarts"
                        )
                        continuation.yield(.failed(path: path, message: text))
                        continue
                    }
                    context.logger.log(
                        level: isNew ? .warning : .debug,
                        "standby could not apply \(RelativePath.shown(path)) in \(context.key): \(code.name): \(text)")
                    if code == .contentMismatch { context.sendWhole.insert(path) }
                    failedPaths.insert(path)
                    // A refused rename leaves its source where it was: the retry must look at it too, or a file
                    // taken for a rename source would never be deleted until the next full comparison.
                    for case .rename(let from, let to, _) in plan.operations where to == path {
                        failedPaths.insert(from)
                        context.refusedRenames.insert(from + "\u{0}" + to)
                    }
                    continuation.yield(.failed(path: path, message: text))
                case .syncDone(let report): done = report
                case .error(let code, let text): throw PeerSessionError.remote(code, text)
                default: throw PeerSessionError.unexpected(message, "during the sync")
                }
            }
            continuation.finish()
            let result = try await group.next()!
            context.index.apply(records: result.indexRecords, removed: [])
            failedPaths.formUnion(result.abandonedPaths)
            return done!
        }
        if scope.paths == nil {
            context.index.retain(only: Set(scan.entries.lazy.filter { $0.kind == .file }.map(\.path)))
        }
        let seconds = context.now() - started
        let sent = writer.bytesWritten - bytesBefore
        context.status.setProgress(group: context.group.name, share: context.share.name, nil)
        context.status.update(group: context.group.name, share: context.share.name) { status in
            status.state = report.failures == 0 ? .inSync : .behind
            status.lastSyncAt = .now
            status.lastSyncSeconds = seconds
            status.lastPlan = summary
            status.bytesSent += sent
            status.filesTotal = 0
            status.filesDone = 0
            status.bytesTotal = 0
            status.bytesDone = 0
            status.lastError =
                report.failures == 0 ? nil : "\(report.failures) files could not be applied; they are retried"
            if scope.paths == nil { status.fullSyncs += 1 } else { status.liveSyncs += 1 }
        }
        context.status.recordTransfer(
            group: context.group.name, share: context.share.name, bytes: sent, at: context.now())
        if summary.operationCount > 0 || report.failures > 0 {
            context.logger.log(
                level: logLevel,
                "\(kind) \(context.key) done in \(String(format: "%.3f", seconds))s: \(report.filesApplied) files applied, \(ByteCount.format(sent)) sent"
            )
        }
        return Outcome(replicaManifest: scope.paths == nil ? replicaByPath : nil, failedPaths: failedPaths)
    }

    private func receiveDigests(
        _ inbound: inout NIOAsyncChannelInboundStream<PeerMessage>.AsyncIterator
    ) async throws
        -> [String: [UInt8]]
    {
        var replicaDigests: [String: [UInt8]] = [:]
        while true {
            guard let message = try await inbound.next() else {
                throw PeerSessionError.closed("while receiving the replica's digests")
            }
            guard case .contentDigests(let digests, let last) = message else {
                if case .error(let code, let text) = message { throw PeerSessionError.remote(code, text) }
                throw PeerSessionError.unexpected(message, "while receiving the replica's digests")
            }
            for item in digests { replicaDigests[item.path] = item.digest }
            if last { return replicaDigests }
        }
    }

    /// Adds the files whose replica content differs from the source's though size and time agree, and reports
    /// them: that should never happen, so each one is named.
    private func verified(
        _ plan: SyncPlan, source: [ManifestEntry], replicaDigests: [String: [UInt8]], sender: FileSender
    ) -> SyncPlan {
        // The source's digest comes from the index when the file is provably unchanged since it was read.
        let mismatches = ContentVerification.mismatches(source: source, plan: plan, replicaDigests: replicaDigests) {
            entry in
            entry.contentHash ?? sender.hash(path: entry.path)
        }
        let compared = source.lazy.filter { $0.kind == .file && replicaDigests[$0.path] != nil }.count
        guard !mismatches.isEmpty else {
            context.logger.info("verification of \(context.key): \(compared) files compared by content, all identical")
            context.event(.info, "verify-clean", "\(compared) files compared by content, all identical")
            return plan
        }
        let named =
            mismatches.prefix(20).map { String(reflecting: $0) }.joined(separator: ", ")
            + (mismatches.count > 20 ? ", …" : "")
        let text =
            "\(mismatches.count) of \(compared) files differed on the replica although their size and modification time matched the source (changed on the replica behind understudy's back, or corrupted by its disk): \(named); sending them again"
        context.logger.warning("verification of \(context.key): \(text)")
        context.event(.warning, "verify-repaired", text)
        for path in mismatches { context.sendWhole.insert(path) }
        return ContentVerification.resending(mismatches, source: source, in: plan)
    }

    /// Every rename carries the SHA-256 of the source file, so the standby can check it moves the right
    /// content: from the scan when the index vouches for the file, from the index entry of the same inode under
    /// its old name, or by reading the file (a rename that cannot be hashed is sent as a file instead).
    private func fillRenameHashes(
        _ plan: SyncPlan, source: [ManifestEntry], index: [String: FileIndexRecord],
        sender: FileSender
    ) -> SyncPlan {
        guard plan.operations.contains(where: { if case .rename = $0 { true } else { false } }) else { return plan }
        let sourceByPath = Dictionary(source.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        var byInode: [UInt64: FileIndexRecord] = [:]
        for record in index.values where record.contentHash != nil { byInode[record.inode] = record }
        var unresolved: [String] = []
        var deletions: [SyncOperation] = []
        var operations = plan.operations.map { operation -> SyncOperation in
            // The standby refused this rename before (same size and time, other content): send the file, and
            // delete the supposed source when the source tree no longer has it.
            if case .rename(let from, let to, _) = operation, let entry = sourceByPath[to],
                context.refusedRenames.contains(from + "\u{0}" + to)
            {
                if sourceByPath[from] == nil { deletions.append(.delete(path: from)) }
                return .sendFile(path: to, size: entry.size, basis: .none)
            }
            guard case .rename(let from, let to, nil) = operation, let entry = sourceByPath[to] else {
                return operation
            }
            if let hash = entry.contentHash { return .rename(from: from, to: to, contentHash: hash) }
            if let record = byInode[entry.inode], record.size == entry.size,
                record.mtimeSeconds == entry.attributes.mtimeSeconds,
                record.mtimeNanoseconds == Int32(entry.attributes.mtimeNanoseconds), let hash = record.contentHash
            {
                return .rename(from: from, to: to, contentHash: hash)
            }
            if let hash = sender.hash(path: to) { return .rename(from: from, to: to, contentHash: hash) }
            unresolved.append(to)
            return operation
        }
        if !unresolved.isEmpty {
            // Could not be hashed (changed or unreadable): the next sync sees them as new files.
            operations.removeAll { if case .rename(_, let to, nil) = $0 { unresolved.contains(to) } else { false } }
        }
        return SyncPlan(operations: operations + deletions)
    }

    package init(context: ShareContext, planner: SyncPlanner) {
        self.context = context
        self.planner = planner
    }
}
