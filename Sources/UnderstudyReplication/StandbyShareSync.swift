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
    /// The zstd dictionaries received on this connection (kept by the connection, used by each of its syncs).
    let dictionaries: CompressionDictionaries

    package init(context: ShareContext, applyOwnership: Bool, dictionaries: CompressionDictionaries) {
        self.context = context
        self.applyOwnership = applyOwnership
        self.dictionaries = dictionaries
    }

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
        var machine = try StandbySyncMachine(
            group: context.groupName, share: context.shareName, previous: previous, resume: resume, verify: verify)
        var steps = StandbyStepRunner(
            files: DiskReplica(context: context, applyOwnership: applyOwnership, dictionaries: dictionaries),
            host: ReplicaStepsReport(context: context, started: started))
        defer { steps.discardCurrent() }
        var queue = machine.start()[...]
        while true {
            while let action = queue.popFirst() {
                if case .finished(let outcome) = action {
                    previous = outcome.manifestBase
                    context.logger.debug(
                        "sync \(context.key): manifest of \(outcome.manifestEntriesSent) of \(outcome.entriesCompared) entries and \(outcome.manifestRemovalsSent) removals sent"
                    )
                    return Outcome(
                        scope: outcome.scope, entriesCompared: outcome.entriesCompared, summary: outcome.summary,
                        report: outcome.report, bytesReceived: bytesReceived() - receivedBefore,
                        seconds: context.now() - started)
                }
                let next = try await steps.perform(action, machine: &machine) { try await writer.emit($0) }
                if !next.isEmpty { queue = next[...] + queue }
            }
            guard let message = try await inbox.next() else { throw PeerSessionError.closed(machine.stage) }
            queue = try machine.receive(message)[...]
        }
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
}
