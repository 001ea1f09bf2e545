#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore
import UnderstudyDelta
import UnderstudyFileSystem
import UnderstudySession
import UnderstudyState
import UnderstudySupport
import UnderstudyWire

extension IncomingFile: ReplicaIncomingFile {}

/// A share's replica on disk, as the standby's steps use it (`ReplicaFiles`): walked with `TreeScanner`, written
/// through `ReplicaWriter` (atomic, batched, durable). A rename is taken only when the file under the old name has
/// the content the primary's has; what becomes durable goes into the share's index, and the versions it replaced
/// into the history.
final class DiskReplica: ReplicaFiles {
    let context: ShareContext
    let applyOwnership: Bool
    /// The replica's writer, once the scope is known.
    private var replica: ReplicaWriter?
    /// Paths this sync changed since the last durable point: the off-site node's relay journal hears of them then.
    private var touched = Set<String>()

    /// The zstd dictionaries received on this connection.
    let dictionaries: CompressionDictionaries

    init(context: ShareContext, applyOwnership: Bool, dictionaries: CompressionDictionaries) {
        self.context = context
        self.applyOwnership = applyOwnership
        self.dictionaries = dictionaries
    }

    func addDictionary(id: UInt32, compressed: UnsafeRawBufferPointer) throws {
        try dictionaries.add(id: id, compressed: compressed, share: context.key)
    }

    /// Walks the replica within the scope and opens its writer (removing our leftover temporaries on the way).
    func describe(_ scope: SyncScope) async throws -> ReplicaDescription {
        // The comparison goes by size and time: the walk reads no index (a rename's source is checked by its own
        // record when the rename comes); on a thread of its own, not the pool's.
        let scan =
            if let slice = scope.slice {
                try await TreeScanner.offThePool(
                    path: context.localPath, create: true, filter: context.share.filter, slice: slice)
            } else {
                try await TreeScanner.offThePool(
                    path: context.localPath, create: true, filter: context.share.filter,
                    scope: scope.paths ?? [ScopedPath("", recursive: true)])
            }
        let share = try ShareDirectory(path: context.localPath, create: true)
        var options = ReplicaWriter.Options(applyOwnership: applyOwnership)
        options.history = context.archiving.history
        options.breakSharedInodes = context.archiving.sharesInodes
        options.dictionaries = dictionaries
        options.signatureMinimum = ShareIndex.signatureMinimum
        options.fileSystemSync = context.fileSystemSync
        let replica = try ReplicaWriter(share: share, options: options)
        replica.removeTemporaries(scan.temporaries)
        self.replica = replica
        // Written ahead: should this node crash half-way, what the live sync was about to change is still owed to the
        // off-site node (the primary's journal is acknowledged only after this sync, which then compares again).
        if let relay = context.relay, let paths = scope.paths { relay.record(paths) }
        return ReplicaDescription(entries: scan.entries, partials: scan.partials)
    }

    func contentHash(of path: String) throws -> [UInt8] {
        try writer().contentHash(of: path)
    }

    func apply(_ operation: SyncOperation) throws {
        if case .rename(let from, let to, let expected) = operation {
            try checkRenameSource(from, to: to, expected: expected)
        }
        try writer().apply(operation)
        if context.relay != nil { touched.formUnion(operation.touchedPaths) }
    }

    func beginFile(_ header: FileHeader) throws -> IncomingFile {
        // Out of space: the rest of the sync writes no contents (deletions and metadata still go through), rather than
        // fill the file system again with each temporary and take the room other groups' replicas need.
        if context.room.withLockedValue({ $0.isFull }) {
            throw FileSystemError(
                .systemCall, operation: "writing", path: header.path,
                errno: ENOSPC)
        }
        return try writer().beginFile(header)
    }

    /// A commit that fills the batch waits for the batch before it to be made durable: that one goes to a thread of
    /// its own, like `makeDurable`. The others are quick and stay where they are.
    func commit(_ file: IncomingFile, expectedHash: [UInt8]) async throws {
        let replica = try writer()
        if replica.commitFillsBatch(file) {
            nonisolated(unsafe) let (replica, file) = (replica, file)
            try await onThread { try replica.commit(file, expectedHash: expectedHash) }
        } else {
            try replica.commit(file, expectedHash: expectedHash)
        }
        committed(file, replica)
    }

    /// The same, where blocking is fine (a thread of its own: an agentless scan).
    func commitHere(_ file: IncomingFile, expectedHash: [UInt8]) throws {
        let replica = try writer()
        try replica.commit(file, expectedHash: expectedHash)
        committed(file, replica)
    }

    private func committed(_ file: IncomingFile, _ replica: ReplicaWriter) {
        if context.relay != nil { touched.insert(file.header.path) }
        let durable = replica.takeDurableRecords(atLeast: ShareIndex.transactionRows)
        if !durable.isEmpty { context.index.apply(records: durable, removed: []) }
    }

    /// The replica file's signature: the one kept since it was written when the file is still that version, else
    /// read from the file (and then kept for the next delta, when the file is large enough).
    func signature(of path: String, basis: DeltaBasis) throws -> [UInt8] {
        var signature: [UInt8] = []
        let index = context.index
        var opened: FileIndexRecord?
        let fromKept = try writer().signature(
            of: path, basis: basis,
            cached: { file in
                opened = file
                return basis == .replica ? index.keptSignature(of: file) : nil
            },
            emit: { signature.append(contentsOf: $0) })
        if !fromKept, basis == .replica, let opened, opened.size >= ShareIndex.signatureMinimum {
            index.storeSignatures([FileSignatureRecord(file: opened, signature: signature)])
        }
        return signature
    }

    func removePartials(_ paths: [String]) throws {
        let replica = try writer()
        try replica.flush()  // a file received moments ago may still be in the batch
        replica.removePartials(paths)
    }

    /// On a thread of its own (`syncfs` can take seconds on a busy disk); the step runner awaits it, so nothing
    /// else touches this replica meanwhile.
    func makeDurable(removingPartials partials: [String]) async throws -> (filesApplied: Int64, bytesWritten: Int64) {
        nonisolated(unsafe) let replica = self
        return try await onThread { try replica.makeDurableNow(removingPartials: partials) }
    }

    private func makeDurableNow(
        removingPartials partials: [String]
    ) throws -> (filesApplied: Int64, bytesWritten: Int64) {
        let replica = try writer()
        try replica.makeDurable()
        storeKeptVersions(context.archiving.history)
        replica.removePartials(partials)
        let changes = replica.takeIndexChanges()
        // Signatures first: a file written and then removed in the same batch loses its row with its index row.
        context.index.storeSignatures(replica.takeSignatures())
        context.index.apply(records: changes.records, removed: changes.removed, renamed: changes.renamed)
        if let relay = context.relay, !touched.isEmpty {
            relay.record(touched.map { ScopedPath($0, recursive: false) })
            touched.removeAll()
        }
        return (replica.filesApplied, replica.bytesWritten)
    }

    func wireCode(for error: any Error) -> WireErrorCode {
        StandbyShareSync.wireCode(for: error)
    }

    func path(of error: any Error) -> String? {
        (error as? FileSystemError)?.path
    }

    private func writer() throws -> ReplicaWriter {
        guard let replica else { throw PeerSessionError.refused("a replica step came before the sync's scope") }
        return replica
    }

    /// A rename moves content the replica already has: refuse it unless the file under the old name has the
    /// content the primary's file has (the plan matched it by size and mtime only).
    private func checkRenameSource(_ from: String, to: String, expected: [UInt8]?) throws {
        guard let expected else {
            throw FileSystemError(.contentMismatch, operation: "rename without a content hash; not renamed", path: to)
        }
        let replica = try writer()
        try replica.flush()  // the old name may be a file received moments ago, still in the batch
        // The index's hash where its record still describes the file, else the file read now.
        let actual = try replica.contentHash(of: from, vouchedBy: context.index)
        guard actual == expected else {
            throw FileSystemError(
                .contentMismatch,
                operation: "rename source \(String(reflecting: from)) holds other content; not renamed", path: to)
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
}
