#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudyDelta
import UnderstudyFileSystem
import UnderstudySession
import UnderstudySupport
import UnderstudyWire

/// One scan of an agentless primary's share on the standby: the mount of the primary's directory (`source`) is
/// walked by size and time beside the replica, the same planner as a full comparison decides what differs, and the
/// replica is brought to the source's state through `DiskReplica` (each file copied to a temporary, checked, renamed,
/// made durable; history and index kept as for any sync). A verification also reads both sides' content. The
/// source is only read, and only while it is a mounted network file system (`MountPoint`): an unmounted mount point
/// is an empty directory, which must never empty the replica.
package struct AgentlessShareSync {
    package struct Outcome: Sendable {
        package var entriesCompared: Int
        package var summary: SyncPlanSummary
        package var report: SyncDoneReport
        /// Bytes read from the source.
        package var bytesRead: Int64
        package var seconds: Double
        /// The mount the source is on.
        package var mount: MountPoint
    }

    let context: ShareContext
    let applyOwnership: Bool

    package init(context: ShareContext, applyOwnership: Bool) {
        self.context = context
        self.applyOwnership = applyOwnership
    }

    /// The mount of `source` when it is a network file system; else the error that says what was found.
    package static func checkSource(_ source: String, mountInfo: String? = nil) throws -> MountPoint {
        guard let mount = MountPoint.containing(source, mountInfo: mountInfo) else {
            throw NodeError(
                .agentlessSourceMissing,
                "the source \(source) cannot be reached (\(String(cString: strerror(errno)))): is the primary's share mounted there? nothing is synced until it is"
            )
        }
        guard mount.isNetworkFileSystem else {
            throw NodeError(
                .agentlessSourceMissing,
                "the source \(source) is on \(mount.type) (\(mount.source) mounted at \(mount.path)), not on a mount of the primary's share (NFS, SMB or sshfs): is it mounted? nothing is synced until it is"
            )
        }
        return mount
    }

    /// - Parameter stop: asked before each step; true (a takeover made the replica the live data) ends the scan
    ///   with `CancellationError` before it changes anything more. So does the task's cancellation.
    package func run(verify: Bool, stop: @escaping @Sendable () -> Bool) async throws -> Outcome {
        let source = context.share.source
        await context.replicaGate.acquire()
        defer { context.replicaGate.release() }
        // Checked once the gate is held, right before the walk (an archive may have held the gate for minutes).
        // Everything that reads the mount runs on a thread of its own: a hung NFS server or a dead sshfs blocks that
        // thread for as long as it hangs, never the daemon's.
        let mount = try await onThread { try Self.checkSource(source) }
        let started = context.now()
        let whole = [ScopedPath("", recursive: true)]
        let scan = try await TreeScanner.offThePool(
            path: source, create: false, filter: context.share.filter, scope: whole)
        let replica = DiskReplica(
            context: context, applyOwnership: applyOwnership, dictionaries: CompressionDictionaries())
        let description = try await replica.describe(
            SyncScope(paths: nil, upTo: ResumePoint(captureID: 0, sequence: 0), captureComplete: false))
        try Self.refuseEmptying(source, scanned: scan.entries, replica: description.entries, mount: mount)
        for skipped in scan.skipped where context.pathWarnings.isNew("skip \(skipped.path)") {
            context.logger.warning(
                "not mirrored: \(RelativePath.shown(skipped.path)) in \(context.key): \(skipped.reason)")
        }
        let cancelled = NIOLockedValueBox(false)
        let ended: @Sendable () -> Bool = { stop() || cancelled.withLockedValue { $0 } }
        nonisolated(unsafe) let (steps, files) = (self, replica)
        let applied = try await withTaskCancellationHandler {
            try await onThread {
                try steps.apply(scan.entries, to: files, description: description, verify: verify, stop: ended)
            }
        } onCancel: {
            cancelled.withLockedValue { $0 = true }
        }
        // A takeover while the steps ran: what is still in the batch is not renamed into the live data.
        if ended() { throw CancellationError() }
        let (filesApplied, bytesWritten) = try await replica.makeDurable(
            removingPartials: Array(description.partials.keys))
        context.index.retain(only: Set(scan.entries.lazy.filter { $0.kind == .file }.map(\.path)))
        return Outcome(
            entriesCompared: scan.entries.count, summary: applied.summary,
            report: SyncDoneReport(filesApplied: filesApplied, bytesWritten: bytesWritten, failures: applied.failures),
            bytesRead: applied.bytesRead, seconds: context.now() - started, mount: mount)
    }

    /// A mount that shows nothing where the replica holds entries is taken for a missing or wrong one (the
    /// primary's data disk not mounted under its export, an empty automount), never as the primary's share emptied:
    /// nothing is deleted.
    static func refuseEmptying(
        _ source: String, scanned: [ManifestEntry], replica: [ManifestEntry], mount: MountPoint
    ) throws {
        guard !scanned.contains(where: { !$0.path.isEmpty }) else { return }
        let held = replica.filter { !$0.path.isEmpty }.count
        guard held > 0 else { return }
        throw NodeError(
            .agentlessSourceMissing,
            "the source \(source) (\(mount.type) \(mount.source)) is empty, but the replica holds \(held) entries: an empty mount is taken for a wrong or missing one, and nothing is deleted. If the primary's share was emptied on purpose, empty the replica by hand too"
        )
    }

    /// Plans and applies the scan (on a thread of its own): the plan's summary, the steps that failed, the bytes read.
    private func apply(
        _ source: [ManifestEntry], to replica: DiskReplica, description: ReplicaDescription, verify: Bool,
        stop: () -> Bool
    ) throws -> (summary: SyncPlanSummary, failures: Int64, bytesRead: Int64) {
        let digests = verify ? replicaDigests(description.entries, replica) : nil
        let reader = try SourceReader(share: try ShareDirectory(path: context.share.source, create: false))
        let planning = SourcePlanning(
            planner: SyncPlanner(options: .init(compareOwnership: applyOwnership)), unusable: context.unusablePaths.all)
        let planned = planning.plan(
            source: source,
            replica: Dictionary(description.entries.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first }),
            partials: [:], digests: digests, indexedHash: { _ in nil }, readHash: { reader.hash(path: $0) })
        if verify { context.reportVerification(compared: planned.compared, mismatches: planned.mismatches) }
        var failures: Int64 = 0
        var bytesRead: Int64 = 0
        for operation in planned.plan.operations {
            if stop() { throw CancellationError() }
            do {
                if case .sendFile(let path, _, _) = operation {
                    bytesRead += try copy(path, reader: reader, into: replica, stop: stop)
                } else {
                    try replica.apply(operation)
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                failures += 1
                noteFailure(operation.touchedPaths.last ?? "", error)
            }
        }
        return (planned.plan.summary, failures, bytesRead)
    }

    /// Copies one source file into the replica: a file that changes while it is read is left for the next scan
    /// (the replica never gets a mix of two versions). The bytes read.
    private func copy(_ path: String, reader: SourceReader, into replica: DiskReplica, stop: () -> Bool) throws -> Int64
    {
        let opened = try reader.open(path)
        defer { close(opened.fd) }
        let header = FileHeader(
            path: path, size: opened.before.size, attributes: opened.before.attributes, basis: .none)
        let file = try replica.beginFile(header)
        do {
            let (hash, read) = try reader.stream(opened, path: path) { chunk in
                try file.receive(chunk, compressed: false)
            }
            // A takeover while the file was read: the replica is the live data now, and this version is older.
            if stop() { throw CancellationError() }
            try replica.commitHere(file, expectedHash: hash)
            return read
        } catch {
            file.discard()
            throw error
        }
    }

    /// The SHA-256 of every replica file, read now; a file that cannot be read is left out (not judged).
    private func replicaDigests(_ entries: [ManifestEntry], _ replica: DiskReplica) -> [String: [UInt8]] {
        var digests: [String: [UInt8]] = [:]
        for entry in entries where entry.kind == .file {
            if let digest = try? replica.contentHash(of: entry.path) { digests[entry.path] = digest }
        }
        return digests
    }

    private func noteFailure(_ path: String, _ error: any Error) {
        let isNew = context.pathWarnings.isNew("agentless \(path)")
        context.logger.log(
            level: isNew ? .warning : .debug,
            "could not apply \(RelativePath.shown(path)) of \(context.key) from the primary's mount: \(error); the next scan tries again"
        )
    }
}
