import NIOCore
import UnderstudyCore
import UnderstudySession
import UnderstudyState
import UnderstudyTransport
import UnderstudyWire

/// The primary's sender for one sync: performs, in order, what `PrimarySyncMachine` sends (messages, flushes,
/// files read and sent whole or as deltas), on one writer, while the sync's task reads what the standby answers.
/// The machine decides the order (signature requests first, deltas as signatures arrive); this does the I/O, and
/// keeps what the index learns from each file sent.
struct PlanSender: Sendable {
    struct Result: Sendable {
        var indexRecords: [FileIndexRecord] = []
        /// Files that changed while they were read: they must go again.
        var abandonedPaths: [String] = []
        var skipped = 0
    }

    let context: ShareContext
    nonisolated(unsafe) let fileSender: FileSender
    let writer: FrameWriter

    func run(_ batches: AsyncStream<[PrimarySyncMachine.Action]>) async throws -> Result {
        var result = Result()
        var progressLog = ProgressLogger(now: context.now())
        for await batch in batches {
            try await perform(batch, into: &result, log: &progressLog)
        }
        return result
    }

    private func perform(
        _ batch: [PrimarySyncMachine.Action], into result: inout Result, log progressLog: inout ProgressLogger
    ) async throws {
        for step in batch {
            try Task.checkCancellation()
            switch step {
            case .send(let message):
                try await writer.send(message)
            case .flush:
                try await writer.flush()
            case .sendFile(let path, let basis, let signature):
                try await send(path, basis: basis, signature: signature, into: &result, log: &progressLog)
                if signature == nil { context.sendWhole.remove(path) }
            case .plan, .standbyFailed, .finished:
                break
            }
            progressLog.maybeLog(context, "sending")
        }
    }

    private func send(
        _ path: String, basis: DeltaBasis, signature: [UInt8]?, into result: inout Result,
        log progressLog: inout ProgressLogger
    ) async throws {
        let group = context.group.name
        let share = context.share.name
        let status = context.status
        var log = progressLog
        let outcome = try await fileSender.send(path: path, basis: basis, signature: signature, writer: writer) {
            bytes in
            status.updateProgress(group: group, share: share) { $0.bytesDone += bytes }
            log.maybeLog(context, "sending")
        }
        progressLog = log
        switch outcome {
        case .sent(let hash, let status):
            result.indexRecords.append(
                FileIndexRecord(
                    path: path, size: status.size, mtimeSeconds: status.attributes.mtimeSeconds,
                    mtimeNanoseconds: Int32(status.attributes.mtimeNanoseconds), ctimeSeconds: status.ctimeSeconds,
                    ctimeNanoseconds: status.ctimeNanoseconds, inode: status.inode, contentHash: hash))
            context.status.updateProgress(group: group, share: share) { $0.filesDone += 1 }
        case .abandoned(let reason):
            result.abandonedPaths.append(path)
            context.logger.info(
                "\(RelativePath.shown(path)) in \(context.key) \(reason); it is sent again at the next sync")
        case .skipped(let reason):
            result.skipped += 1
            context.logger.warning("cannot send \(RelativePath.shown(path)) in \(context.key): \(reason)")
        }
    }
}
