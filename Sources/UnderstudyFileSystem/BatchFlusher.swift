#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import UnderstudyState

/// Puts batches of received files in place on a thread of its own — `syncfs`, then the renames into place — while
/// the receive loop goes on writing the next batch. At most one batch is in flight: the writer
/// waits for it before handing over another, and before any step whose order matters. A file is still renamed
/// into place only after the `syncfs` that made its data durable (DESIGN rule 1). Each `syncfs` is asked of a
/// `FileSystemSync`, which serves the shares that ask at the same time with one.
final class BatchFlusher: @unchecked Sendable {
    struct Outcome {
        var records: [FileIndexRecord] = []
        var signatures: [FileSignatureRecord] = []
        var filesApplied: Int64 = 0
        var error: FileSystemError?
    }

    /// Its own root descriptor and parent cache: `ShareDirectory` is not shared between threads.
    private let share: ShareDirectory
    private let history: (any ReplacedVersionKeeper)?
    private let sync: FileSystemSync
    private let queue = DispatchQueue(label: "understudy.flusher")
    private let group = DispatchGroup()
    /// Written only on `queue`; read after `group.wait()`, which orders the two.
    private var outcome = Outcome()

    init(rootPath: String, history: (any ReplacedVersionKeeper)?, sync: FileSystemSync) throws(FileSystemError) {
        share = try ShareDirectory(path: rootPath, create: false)
        self.history = history
        self.sync = sync
    }

    func submit(_ batch: [ReplicaWriter.PendingCommit]) {
        queue.async(group: group) { [self] in
            do throws(FileSystemError) {
                try perform(batch)
            } catch {
                outcome.error = error
            }
        }
    }

    /// Waits for the batch in flight (if any) and returns what it did.
    func wait() -> Outcome {
        group.wait()
        defer { outcome = Outcome() }
        return outcome
    }

    /// `syncfs`, then the renames. Their own durability is the next `syncfs`'s: the next batch's, or the writer's
    /// `makeDurable()`, which comes before anything is acknowledged.
    private func perform(_ batch: [ReplicaWriter.PendingCommit]) throws(FileSystemError) {
        try sync.sync(share.rootDescriptor)
        for commit in batch {
            let (dir, name) = try share.parent(of: commit.path)
            history?.preserve(dir, name, path: commit.path, reason: "replaced")
            guard renameat(dir, commit.temporaryName, dir, name) == 0 else {
                unlinkat(dir, commit.temporaryName, 0)
                throw .errno("rename into place", commit.path)
            }
            if let partial = commit.partialToRemove { unlinkat(dir, partial, 0) }
            if let status = try? FileStatus.at(dir, name, path: commit.path) {
                let record = ReplicaWriter.record(commit.path, status, hash: commit.contentHash)
                outcome.records.append(record)
                if let signature = commit.signature {
                    outcome.signatures.append(FileSignatureRecord(file: record, signature: signature))
                }
            }
            outcome.filesApplied += 1
        }
    }
}
