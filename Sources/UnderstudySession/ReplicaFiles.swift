import UnderstudyCore
import UnderstudyWire

/// The replica's files as the standby's steps use them: the file-system protocol behind `StandbyStepRunner`.
/// Replication's `DiskReplica` implements it over FileSystem's `ReplicaWriter` (atomic, batched, durable); the
/// session tests implement it over a tree in memory.
package protocol ReplicaFiles: AnyObject {
    associatedtype Incoming: ReplicaIncomingFile

    /// Walks the replica within `scope` (a slice of the share, the paths of a live sync, or the whole share) and gets
    /// ready to write in it. Content hashes, where an implementation has them, are not sent.
    /// Asynchronous: on disk a walk of a large tree takes seconds, which must not hold a thread of the pool.
    func describe(_ scope: SyncScope) async throws -> ReplicaDescription
    /// The SHA-256 of a replica file, read now (a verification does not trust what is known of it).
    func contentHash(of path: String) throws -> [UInt8]
    func apply(_ operation: SyncOperation) throws
    func beginFile(_ header: FileHeader) throws -> Incoming
    /// Checks the received file against the primary's hash, then puts it under its name.
    func commit(_ file: Incoming, expectedHash: [UInt8]) async throws
    /// Keeps a zstd dictionary (`compressed` as it came over the wire) for the files of this connection that name it.
    func addDictionary(id: UInt32, compressed: UnsafeRawBufferPointer) throws
    /// The signature of a replica file, the basis of a delta.
    func signature(of path: String, basis: DeltaBasis) throws -> [UInt8]
    /// Removes the partial copies left over (after what was received moments ago is written).
    func removePartials(_ paths: [String]) throws
    /// Makes every step taken durable and removes the partial copies; returns the files applied and bytes written.
    /// Asynchronous: on disk this waits for `syncfs`, which a busy disk can make last seconds, so it must not hold a
    /// thread of the cooperative pool (two on a two-core machine) that every other task of the daemon needs.
    func makeDurable(removingPartials: [String]) async throws -> (filesApplied: Int64, bytesWritten: Int64)
    /// What the primary is told of a step that failed with `error`.
    func wireCode(for error: any Error) -> WireErrorCode
    /// The path `error` names, when it names one.
    func path(of error: any Error) -> String?
}

/// A file being received into the replica.
package protocol ReplicaIncomingFile: AnyObject {
    var header: FileHeader { get }
    /// Bytes written so far (after decompression, and after a delta is applied).
    var bytesWritten: Int64 { get }
    /// One chunk of the payload: zstd-compressed, or as it is (`compressed` false).
    func receive(_ chunk: UnsafeRawBufferPointer, compressed: Bool) throws
    func discard()
}

/// What the standby's steps tell and keep besides the tree: progress, failures, the resume point.
package protocol StandbyStepsHost {
    /// The plan's figures, before its first step.
    func announced(_ plan: SyncPlanSummary)
    /// `bytes` more of the file being received are written.
    func received(bytes: Int64)
    func committed(path: String)
    /// A step could not be taken; the primary is told (`code`).
    func failed(path: String, code: WireErrorCode, error: any Error)
    /// The replica is durable up to `point`: kept before the primary hears of it. A commit that waits for the disk:
    /// a host on disk makes it off the cooperative pool.
    func saveResumePoint(_ point: ResumePoint) async throws
}
