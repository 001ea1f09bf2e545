import Logging
import NIOCore
import UnderstudyCore
import UnderstudyDelta
import UnderstudyFileSystem
import UnderstudySession
import UnderstudyState
import UnderstudyTransport
import UnderstudyWire

/// The primary's half of one share's sync: `PrimarySyncMachine` says what happens, in order; this performs it. The
/// source is scanned while the replica's manifest arrives; the plan is made once both are in, then streamed by
/// `PlanSender` while this keeps reading what the standby sends (signatures, failures), until the standby reports
/// everything durable (`syncDone`).
package struct PrimaryShareSync {
    /// What a child task of a sync returns: the source's scan, or what the sender sent.
    private enum Child: Sendable {
        case scanned(TreeScanner.Result)
        case sent(PlanSender.Result)
    }

    /// The scan's result: the group's only child until the plan is made.
    private static func scanResult(
        of group: inout ThrowingTaskGroup<Child, any Error>
    ) async throws
        -> TreeScanner.Result
    {
        while let child = try await group.next() {
            if case .scanned(let scan) = child { return scan }
        }
        throw CancellationError()
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
    /// The share's small-file dictionary and the connection's record of what it sent (the off-site hop); nil: none.
    var dictionary: (SmallFileDictionary, DictionaryOffer)?

    package init(context: ShareContext, planner: SyncPlanner, dictionary: (SmallFileDictionary, DictionaryOffer)? = nil)
    {
        self.context = context
        self.planner = planner
        self.dictionary = dictionary
    }

    /// - Parameter scope: what this sync compares (already sent to the standby).
    /// - Parameter base: the replica manifest received for this share earlier on this connection, when the
    ///   standby sends only changes.
    /// - Parameter verify: the standby sends the digests of its files after the manifest; files equal by size and
    ///   time but not by content are sent again, and reported.
    /// - Parameter slicing: a sliced comparison, `scope` being its current slice: it is cut here, and tells whether
    ///   another slice follows.
    package func run(
        inbound: inout NIOAsyncChannelInboundStream<PeerMessage>.AsyncIterator, writer: FrameWriter,
        scope: SyncScope, base: [String: ManifestEntry]?, verify: Bool = false,
        slicing: inout SlicedComparison?
    ) async throws -> Outcome {
        let started = context.now()
        let sourcePath = context.localPath
        let filter = context.share.filter
        let index = context.index
        let scanScope = scope.paths ?? [ScopedPath("", recursive: true)]
        var machine = try PrimarySyncMachine(scope: scope, base: base, verify: verify)
        let sliceStart = scope.slice?.after
        var sliceEnd: String?
        // A slice of a comparison in several is named so once it is cut.
        var kind = scope.paths == nil ? "full comparison" : "live sync"
        var logLevel = Logger.Level.debug
        var scanned: TreeScanner.Result?
        let bytesBefore = writer.bytesWritten
        // What goes out goes in order through one sender, while this task reads what comes in; the sends of one
        // answer of the machine travel together (a plan's thousands of steps in one hand-off, not one each).
        let (steps, outbox) = AsyncStream.makeStream(of: [PrimarySyncMachine.Action].self)
        defer { outbox.finish() }
        let (outcome, sent): (PrimarySyncMachine.Outcome, PlanSender.Result) =
            try await withThrowingTaskGroup(of: Child.self) { group in
                // The scan runs while the replica's manifest arrives; the group's only child until the plan. Should
                // the sync end before (an error, the standby gone), the group cancels it: it stops at its next
                // directory.
                group.addTask {
                    // By size and time: the walk reads no index (a rename's hash is looked up when the plan needs
                    // it), except for a verification, which needs every file's hash: it reads the index a directory
                    // at a time. On a thread of its own, not the pool's.
                    let index: any FileIndexLookup = verify ? index : FileIndexSnapshot()
                    if let slice = scope.slice {
                        return .scanned(
                            try await TreeScanner.offThePool(
                                path: sourcePath, create: false, filter: filter, slice: slice, index: index))
                    }
                    return .scanned(
                        try await TreeScanner.offThePool(
                            path: sourcePath, create: false, filter: filter, scope: scanScope, index: index))
                }
                var queue: ArraySlice<PrimarySyncMachine.Action> = []
                var outgoing: [PrimarySyncMachine.Action] = []
                while true {
                    while let action = queue.popFirst() {
                        switch action {
                        case .send, .flush, .sendFile:
                            outgoing.append(action)
                        case .plan(var replica, let partials, let digests):
                            var scan = try await Self.scanResult(of: &group)
                            var surroundings = SliceSurroundings()
                            if var cutting = slicing {
                                // The slice covers what both walks reached; the next one starts after it.
                                cutting.cut(source: &scan.entries, sourceComplete: scan.complete, replica: &replica)
                                surroundings = cutting.surroundings(context: scan.context)
                                sliceEnd = cutting.follows ? cutting.after : nil
                                slicing = cutting
                            }
                            scanned = scan
                            let (plan, fileSender, verified) = try makePlan(
                                scan, replica: replica, partials: partials, digests: verify ? digests : nil,
                                surroundings: surroundings)
                            // A verification in slices is reported once, for the whole share, after its last slice.
                            if let verified {
                                if slicing != nil {
                                    slicing?.verified(compared: verified.compared, mismatches: verified.mismatches)
                                } else {
                                    context.reportVerification(
                                        compared: verified.compared, mismatches: verified.mismatches)
                                }
                            }
                            slicing?.planned(plan, source: scan.entries, replica: replica)
                            let next = try machine.planned(
                                plan, sourceEntries: scan.entries.count, sendWhole: context.sendWhole.all,
                                source: sourcePath, sliceFollows: slicing?.follows ?? false)
                            let summary = machine.summary
                            // A comparison in several slices is told once, at its end (each slice at debug level).
                            let oneOfMany = slicing.map { $0.follows || $0.slices > 1 } ?? false
                            if oneOfMany, let slicing { kind = "full comparison (slice \(slicing.slices))" }
                            logLevel = (scope.paths == nil && !oneOfMany) || summary.files > 100 ? .info : .debug
                            context.logger.log(
                                level: logLevel,
                                "\(kind) \(context.key): \(summary.files) files to send (\(ByteCount.format(summary.bytes)), \(summary.deltas) as deltas), \(summary.directories) directories, \(summary.renames) renames, \(summary.deletions) deletions, \(summary.attributeUpdates) attribute updates"
                            )
                            context.status.setProgress(
                                group: context.groupName, share: context.shareName,
                                TransferProgress(
                                    filesTotal: Int64(summary.files), bytesTotal: summary.bytes, startedAt: started))
                            let sender = PlanSender(context: context, fileSender: fileSender, writer: writer)
                            group.addTask { .sent(try await sender.run(steps)) }
                            queue = next[...] + queue
                        case .standbyFailed(let path, let code, let text, let renameSources):
                            noteFailure(path, code: code, text: text, renameSources: renameSources)
                        case .finished(let outcome):
                            if !outgoing.isEmpty { outbox.yield(outgoing) }
                            outbox.finish()
                            // The sender's result (the scan's child ended when the plan was made).
                            var sent = PlanSender.Result()
                            while let child = try await group.next() {
                                if case .sent(let result) = child { sent = result }
                            }
                            return (outcome, sent)
                        }
                    }
                    if !outgoing.isEmpty {
                        outbox.yield(outgoing)
                        outgoing = []
                    }
                    guard let message = try await inbound.next() else { throw PeerSessionError.closed(machine.stage) }
                    queue = try machine.receive(message)[...]
                }
            }
        context.index.apply(records: sent.indexRecords, removed: [])
        let failedPaths = outcome.failedPaths.union(sent.abandonedPaths)
        if scope.paths == nil, let scanned {
            let files = Set(scanned.entries.lazy.filter { $0.kind == .file }.map(\.path))
            if scope.slice != nil {
                // The directories this slice read: those it holds and those above it.
                let directories = Set(
                    (scanned.context + scanned.entries).lazy.filter { $0.kind == .directory }.map(\.path))
                context.index.retain(only: files, inDirectories: directories, after: sliceStart, through: sliceEnd)
                slicing?.found(directories: directories)
                if let slicing, !slicing.follows { context.index.retain(directories: slicing.directories) }
            } else {
                context.index.retain(only: files)
            }
        }
        slicing?.add(summary: outcome.summary, report: outcome.report)
        // A slice that another follows is part of one comparison: the share's figures are the whole comparison's.
        if slicing?.follows ?? false {
            context.status.recordTransfer(
                group: context.groupName, share: context.shareName, bytes: writer.bytesWritten - bytesBefore,
                at: context.now())
            context.status.update(group: context.groupName, share: context.shareName) {
                $0.bytesSent += writer.bytesWritten - bytesBefore
            }
            return Outcome(replicaManifest: nil, failedPaths: failedPaths)
        }
        if let slicing, verify {
            context.reportVerification(compared: slicing.compared, mismatches: slicing.mismatches)
        }
        let report = slicing?.report ?? outcome.report
        let summary = slicing?.summary ?? outcome.summary
        let seconds = context.now() - (slicing?.started ?? started)
        let bytesSent = writer.bytesWritten - bytesBefore
        context.status.setProgress(group: context.groupName, share: context.shareName, nil)
        let syncedAt = context.clock.wallTime()
        context.status.update(group: context.groupName, share: context.shareName) { status in
            status.state = report.failures == 0 ? .inSync : .behind
            status.lastSyncAt = syncedAt
            status.lastSyncSeconds = seconds
            status.lastPlan = summary
            status.bytesSent += bytesSent
            status.filesTotal = 0
            status.filesDone = 0
            status.bytesTotal = 0
            status.bytesDone = 0
            status.lastError =
                report.failures == 0 ? nil : "\(report.failures) files could not be applied; they are retried"
            if scope.paths == nil { status.fullSyncs += 1 } else { status.liveSyncs += 1 }
        }
        context.status.recordTransfer(
            group: context.groupName, share: context.shareName, bytes: bytesSent, at: context.now())
        if let slicing, slicing.slices > 1 {
            context.logger.info(
                "full comparison \(context.key) in \(slicing.slices) slices of at most \(slicing.limit) entries: \(summary.files) files sent (\(ByteCount.format(summary.bytes)), \(summary.deltas) as deltas), \(summary.directories) directories, \(summary.renames) renames, \(summary.deletions) deletions, \(summary.attributeUpdates) attribute updates; done in \(String(format: "%.3f", seconds))s: \(report.filesApplied) files applied"
            )
        } else if summary.operationCount > 0 || report.failures > 0 {
            context.logger.log(
                level: logLevel,
                "\(kind) \(context.key) done in \(String(format: "%.3f", seconds))s: \(report.filesApplied) files applied, \(ByteCount.format(bytesSent)) sent"
            )
        }
        return Outcome(replicaManifest: outcome.replicaManifest, failedPaths: failedPaths)
    }

    /// The plan for this sync, from the source's scan and the replica's side: names the standby cannot store are
    /// left out, renames carry the content hash, and a verification adds the files whose content differs.
    private func makePlan(
        _ scan: TreeScanner.Result, replica: [String: ManifestEntry], partials: [String: Int64],
        digests: [String: [UInt8]]?, surroundings: SliceSurroundings
    ) throws -> (SyncPlan, FileSender, SourcePlanning.Result?) {
        for skipped in scan.skipped where context.pathWarnings.isNew("skip \(skipped.path)") {
            context.logger.warning(
                "not mirrored: \(RelativePath.shown(skipped.path)) in \(context.key): \(skipped.reason)")
        }
        if case let untold = context.pathWarnings.takeUntold(), untold > 0 {
            context.logger.warning(
                "\(context.key): \(untold) more path problems since the last report, not told one by one")
        }
        let fileSender = try FileSender(
            share: try ShareDirectory(path: context.localPath, create: false),
            compressionLevel: context.compressionLevel, dictionary: dictionary)
        // Names the standby's file system cannot store stay out of the plan: sending them again cannot help.
        let planning = SourcePlanning(
            planner: planner, unusable: context.unusablePaths.all, refusedRenames: context.refusedRenames.all)
        // A renamed file's hash from the index entry of the same inode under its old name.
        let index = context.index
        let result = planning.plan(
            source: scan.entries, replica: replica, partials: partials, digests: digests, surroundings: surroundings,
            indexedHash: { entry in
                guard let record = index.hashedRecord(inode: entry.inode), record.size == entry.size,
                    record.mtimeSeconds == entry.attributes.mtimeSeconds,
                    record.mtimeNanoseconds == Int32(entry.attributes.mtimeNanoseconds)
                else { return nil }
                return record.contentHash
            },
            readHash: { fileSender.hash(path: $0, vouchedBy: index) })
        return (result.plan, fileSender, digests == nil ? nil : result)
    }

    /// What the standby could not apply: logged (told once per path), and remembered for the next syncs.
    private func noteFailure(_ path: String, code: WireErrorCode, text: String, renameSources: [String]) {
        let isNew = context.pathWarnings.isNew("failed \(code.rawValue) \(path)")
        if code == .nameUnusable {
            context.unusablePaths.insert(path)
            context.logger.log(
                level: isNew ? .warning : .debug,
                "not mirrored: \(RelativePath.shown(path)) in \(context.key): the standby's file system cannot store that name (\(text)); it is left out until understudy restarts"
            )
            return
        }
        context.logger.log(
            level: isNew ? .warning : .debug,
            "standby could not apply \(RelativePath.shown(path)) in \(context.key): \(code.name): \(text)")
        if code == .contentMismatch { context.sendWhole.insert(path) }
        for from in renameSources { context.refusedRenames.insert(from + "\u{0}" + path) }
    }
}
