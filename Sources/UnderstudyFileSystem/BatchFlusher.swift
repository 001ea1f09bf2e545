#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Dispatch
import UnderstudyState

/// Makes batches of received files durable on a thread of its own — `syncfs`, the renames into place, `syncfs`
/// again — while the receive loop goes on writing the next batch. At most one batch is in flight: the writer
/// waits for it before handing over another, and before any step whose order matters. A file is still renamed
/// into place only after the `syncfs` that made its data durable (DESIGN rule 1).
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
    private let queue = DispatchQueue(label: "understudy.flusher")
    private let group = DispatchGroup()
    /// Written only on `queue`; read after `group.wait()`, which orders the two.
    private var outcome = Outcome()

    init(rootPath: String, history: (any ReplacedVersionKeeper)?) throws(FileSystemError) {
        share = try ShareDirectory(path: rootPath, create: false)
        self.history = history
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

    private func perform(_ batch: [ReplicaWriter.PendingCommit]) throws(FileSystemError) {
        guard understudy_syncfs(share.rootDescriptor) == 0 else { throw .errno("syncfs", "") }
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
        guard understudy_syncfs(share.rootDescriptor) == 0 else { throw .errno("syncfs", "") }
    }
}
