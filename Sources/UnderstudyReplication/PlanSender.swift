import NIOCore
import UnderstudyCore
import UnderstudyState
import UnderstudyTransport
import UnderstudyWire

/// Streams a plan to the standby without waiting for round trips: signature requests for every delta go
/// out first, everything that needs no signature follows at once, and each delta is sent as soon as its
/// signature arrives. Hard links to a deferred file, and directory attributes, wait for what they depend on.
struct PlanSender: Sendable {
    struct Result: Sendable {
        var indexRecords: [FileIndexRecord]
        /// Files that changed while they were read: they must go again.
        var abandonedPaths: [String]
        var skipped: Int
    }

    let context: ShareContext
    nonisolated(unsafe) let fileSender: FileSender
    let writer: FrameWriter

    func run(_ plan: SyncPlan, events: AsyncStream<PrimaryShareSync.SenderEvent>) async throws -> Result {
        var result = Result(indexRecords: [], abandonedPaths: [], skipped: 0)
        var deferred: [String: DeltaBasis] = [:]
        var deferredLinks: [String: [SyncOperation]] = [:]
        var trailing: [SyncOperation] = []
        var progressLog = ProgressLogger(now: context.now())

        for case .sendFile(let path, _, let basis) in plan.operations
        where basis != .none && !context.sendWhole.contains(path) {
            deferred[path] = basis
            try await writer.send(.signatureRequest(path: path, basis: basis))
        }
        try await writer.flush()

        for operation in plan.operations {
            try Task.checkCancellation()
            switch operation {
            case .sendFile(let path, _, let basis):
                if basis == .none || context.sendWhole.contains(path) {
                    try await send(path, basis: .none, signature: nil, into: &result, log: &progressLog)
                    context.sendWhole.remove(path)
                }
            case .makeHardLink(_, let target) where deferred[target] != nil:
                deferredLinks[target, default: []].append(operation)
            case .setDirectoryAttributes:
                trailing.append(operation)
            default:
                try await writer.send(.operation(operation))
            }
            progressLog.maybeLog(context, "sending")
        }
        try await writer.flush()

        var iterator = events.makeAsyncIterator()
        while !deferred.isEmpty {
            guard let event = await iterator.next() else {
                throw PeerSessionError.closed("before every delta signature arrived")
            }
            switch event {
            case .signature(let path, let data):
                guard let basis = deferred.removeValue(forKey: path) else { continue }
                try await send(path, basis: basis, signature: data, into: &result, log: &progressLog)
                for link in deferredLinks.removeValue(forKey: path) ?? [] { try await writer.send(.operation(link)) }
            case .failed(let path, _):
                // No usable basis on the replica (it vanished or could not be read): send the file whole.
                guard deferred.removeValue(forKey: path) != nil else { continue }
                try await send(path, basis: .none, signature: nil, into: &result, log: &progressLog)
                for link in deferredLinks.removeValue(forKey: path) ?? [] { try await writer.send(.operation(link)) }
            }
            progressLog.maybeLog(context, "sending")
        }
        for operation in trailing { try await writer.send(.operation(operation)) }
        try await writer.send(.syncEnd)
        try await writer.flush()
        return result
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
