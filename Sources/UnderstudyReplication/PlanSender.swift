import NIOCore
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudySession
import UnderstudyState
import UnderstudyTransport
import UnderstudyWire

/// The primary's sender for one sync: Session's `PlanSendRunner` performs, in order, what `PrimarySyncMachine`
/// sends (messages, flushes, files read by `FileSender` and sent whole or as deltas), on one writer, while the sync's
/// task reads what the standby answers. The machine decides the order (signature requests first, deltas as
/// signatures arrive); `PlanSendReport` keeps what the index learns from each file sent, and the progress.
struct PlanSender: Sendable {
    struct Result: Sendable {
        /// What the index learned from the last files sent, not yet handed to it (it gets them in parts as they go).
        var indexRecords: [FileIndexRecord] = []
        /// Files that changed while they were read: they must go again.
        var abandonedPaths: [String] = []
        var skipped = 0
    }

    let context: ShareContext
    nonisolated(unsafe) let fileSender: FileSender
    let writer: FrameWriter

    func run(_ batches: AsyncStream<[PrimarySyncMachine.Action]>) async throws -> Result {
        let report = PlanSendReport(context: context)
        let runner = PlanSendRunner(source: fileSender, host: report)
        for await batch in batches {
            try await runner.perform(batch) { try await writer.emit($0) }
        }
        return report.finish()
    }
}

/// What the primary's sender tells on a node (`PlanSendHost`): the share's live progress and its log ("files/bytes,
/// rate, ETA" every few seconds), each file sent as a record for the index, each file abandoned or skipped. The
/// progress reaches the node's status every 64 files or 8 MiB (each update takes the status's lock), and at the end.
final class PlanSendReport: PlanSendHost {
    static let progressFiles: Int64 = 64
    static let progressBytes: Int64 = 8 << 20

    let context: ShareContext
    private var result = PlanSender.Result()
    private var progressLog: ProgressLogger
    private var unreportedBytes: Int64 = 0
    private var unreportedFiles: Int64 = 0

    init(context: ShareContext) {
        self.context = context
        progressLog = ProgressLogger(now: context.now())
    }

    func progress(bytes: Int64) {
        unreportedBytes += bytes
        if unreportedBytes >= Self.progressBytes {
            reportProgress()
            progressLog.maybeLog(context, "sending")
        }
    }

    /// What the sync sent, once the last file's progress is in the status.
    func finish() -> PlanSender.Result {
        reportProgress()
        return result
    }

    private func reportProgress() {
        guard unreportedBytes > 0 || unreportedFiles > 0 else { return }
        let (bytes, files) = (unreportedBytes, unreportedFiles)
        context.status.updateProgress(group: context.groupName, share: context.shareName) {
            $0.bytesDone += bytes
            $0.filesDone += files
        }
        unreportedBytes = 0
        unreportedFiles = 0
    }

    func sent(path: String, hash: [UInt8], receipt status: FileStatus) {
        result.indexRecords.append(
            FileIndexRecord(
                path: path, size: status.size, mtimeSeconds: status.attributes.mtimeSeconds,
                mtimeNanoseconds: Int32(status.attributes.mtimeNanoseconds), ctimeSeconds: status.ctimeSeconds,
                ctimeNanoseconds: status.ctimeNanoseconds, inode: status.inode, contentHash: hash))
        unreportedFiles += 1
        if unreportedFiles >= Self.progressFiles { reportProgress() }
        if result.indexRecords.count >= ShareIndex.transactionRows {
            // A first sync's million files reach the index as they go, not all at its end.
            context.index.apply(records: result.indexRecords, removed: [])
            result.indexRecords.removeAll(keepingCapacity: true)
        }
    }

    func abandoned(path: String, reason: String) {
        result.abandonedPaths.append(path)
        context.logger.info(
            "\(RelativePath.shown(path)) in \(context.key) \(reason); it is sent again at the next sync")
    }

    func skipped(path: String, reason: String) {
        result.skipped += 1
        context.logger.warning("cannot send \(RelativePath.shown(path)) in \(context.key): \(reason)")
    }

    func sentWhole(path: String) {
        context.sendWhole.remove(path)
    }

    func stepDone() {
        progressLog.maybeLog(context, "sending")
    }
}
