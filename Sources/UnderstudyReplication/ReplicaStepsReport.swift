import UnderstudyCore
import UnderstudyFileSystem
import UnderstudySession
import UnderstudySupport
import UnderstudyWire

/// What the standby's steps tell on a node (`StandbyStepsHost`): the share's live progress and its log ("files/bytes,
/// rate, ETA" every few seconds), each failed step (a lasting problem meets every retry: told once, then at debug
/// level), and the resume point, kept in the state database.
final class ReplicaStepsReport: StandbyStepsHost {
    let context: ShareContext
    let started: Double
    private var progressLog: ProgressLogger
    /// What the files of this sync committed so far hold, and what the file being received has written: a shortage
    /// needs room for the rest of the plan, the failed file whole.
    private var committedBytes: Int64 = 0
    private var currentFileBytes: Int64 = 0

    init(context: ShareContext, started: Double) {
        self.context = context
        self.started = started
        progressLog = ProgressLogger(now: started)
    }

    func announced(_ plan: SyncPlanSummary) {
        let group = context.groupName
        let share = context.shareName
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

    func received(bytes: Int64) {
        currentFileBytes += bytes
        context.status.updateProgress(group: context.groupName, share: context.shareName) { $0.bytesDone += bytes }
        progressLog.maybeLog(context, "receiving")
    }

    func committed(path: String) {
        committedBytes += currentFileBytes
        currentFileBytes = 0
        context.status.updateProgress(group: context.groupName, share: context.shareName) { $0.filesDone += 1 }
        progressLog.maybeLog(context, "receiving")
    }

    func failed(path: String, code: WireErrorCode, error: any Error) {
        defer { currentFileBytes = 0 }
        if let error = error as? FileSystemError, FileSystemSpace.isOutOfSpace(error.errnoValue) {
            ranOutOfSpace(path: path, error: error)
            return
        }
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
    }

    /// The replica's file system is full: the rest of this sync writes no file contents (`DiskReplica`), and the
    /// group's mirror waits for room (`StandbyGroupService`). Logged loudly once per shortage.
    private func ranOutOfSpace(path: String, error: FileSystemError) {
        let progress = context.status.progress(group: context.groupName, share: context.shareName)
        let needed = progress.map { max(0, $0.bytesTotal - committedBytes) } ?? 0
        let first = context.room.withLockedValue { $0.ranOut(path: path, neededBytes: needed, at: context.now()) }
        context.logger.log(
            level: first ? .error : .debug,
            "replica \(context.localPath) of \(context.key) is out of space: \(error); the mirror of group \(context.groupName) stops until there is room (other groups go on)"
        )
    }

    /// On a thread of its own: the commit waits for an fsync of the state database (milliseconds on a disk), and it
    /// waits for the shares' commit that runs, if any; a cooperative thread held meanwhile is one of two on two cores.
    func saveResumePoint(_ point: ResumePoint) async throws {
        let (database, key) = (context.database, context.key)
        try await onThread { try database.saveResumePoint(point, share: key) }
    }
}
