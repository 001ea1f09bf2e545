import UnderstudyCore
import UnderstudySession
import UnderstudyWire

/// A replica in memory behind the standby's file-system protocol (`ReplicaFiles`), so the standby's session runs
/// through the same `StandbyStepRunner` as on disk. Deltas in memory: a signature is the hash of the replica's
/// copy, and a delta is that hash followed by the new content, so a delta applied to any other basis is refused as
/// a content mismatch.
final class MemoryReplica: ReplicaFiles {
    final class Incoming: ReplicaIncomingFile {
        let header: FileHeader
        var bytes: [UInt8] = []
        var bytesWritten: Int64 { Int64(bytes.count) }

        init(_ header: FileHeader) { self.header = header }

        func receive(_ chunk: UnsafeRawBufferPointer, compressed: Bool) throws { bytes += chunk }
        func discard() { bytes = [] }
    }

    var tree: MemoryTree
    /// The tree as of the last `makeDurable`.
    var durable: MemoryTree?
    var applied: Int64 = 0

    init(_ tree: MemoryTree) { self.tree = tree }

    /// A slice as the walk on disk takes it. Each sync (and each slice) counts the files it applies, as a writer on
    /// disk does.
    func describe(_ scope: SyncScope) throws -> ReplicaDescription {
        applied = 0
        if let slice = scope.slice {
            let entries = tree.slice(after: slice.after, limit: slice.limit, hashes: true).entries
            return ReplicaDescription(entries: entries, partials: [:])
        }
        return ReplicaDescription(entries: tree.manifest(within: scope.paths, hashes: true), partials: [:])
    }

    func contentHash(of path: String) throws -> [UInt8] {
        guard let node = tree[path], node.kind == .file else { throw MemoryTree.Refusal(code: .missing, path: path) }
        return MemoryTree.hash(node.content)
    }

    func apply(_ operation: SyncOperation) throws { try tree.apply(operation) }

    func beginFile(_ header: FileHeader) throws -> Incoming { Incoming(header) }

    func commit(_ file: Incoming, expectedHash: [UInt8]) async throws {
        let path = file.header.path
        var content = file.bytes
        if file.header.basis != .none {
            let basis = MemoryTree.hash(tree[path]?.content ?? [])
            guard content.starts(with: basis) else { throw MemoryTree.Refusal(code: .contentMismatch, path: path) }
            content.removeFirst(basis.count)
        }
        guard MemoryTree.hash(content) == expectedHash else {
            throw MemoryTree.Refusal(code: .contentMismatch, path: path)
        }
        try tree.commit(path, content: content, attributes: file.header.attributes)
        applied += 1
    }

    func signature(of path: String, basis: DeltaBasis) throws -> [UInt8] {
        try contentHash(of: path)
    }

    func removePartials(_ paths: [String]) throws {}

    /// The ids of the dictionaries received (this tree's files travel uncompressed).
    var dictionaries: [UInt32] = []

    func addDictionary(id: UInt32, compressed: UnsafeRawBufferPointer) throws { dictionaries.append(id) }

    func makeDurable(removingPartials: [String]) async throws -> (filesApplied: Int64, bytesWritten: Int64) {
        durable = tree
        return (applied, 0)
    }

    func wireCode(for error: any Error) -> WireErrorCode {
        (error as? MemoryTree.Refusal)?.code == .contentMismatch ? .contentMismatch : .applyFailed
    }

    func path(of error: any Error) -> String? { (error as? MemoryTree.Refusal)?.path }
}

/// The standby's host in memory: the resume point it saves, and nothing told.
final class MemoryStandbyHost: StandbyStepsHost {
    var resumePoint: ResumePoint?

    init(resumePoint: ResumePoint?) { self.resumePoint = resumePoint }

    func announced(_ plan: SyncPlanSummary) {}
    func received(bytes: Int64) {}
    func committed(path: String) {}
    func failed(path: String, code: WireErrorCode, error: any Error) {}
    func saveResumePoint(_ point: ResumePoint) async throws { resumePoint = point }
}
