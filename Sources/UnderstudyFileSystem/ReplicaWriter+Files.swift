#if canImport(Glibc)
import Glibc
#endif
import Crypto
import UnderstudyCore
import UnderstudyWire

extension ReplicaWriter {
    public func beginFile(_ header: FileHeader) throws(FileSystemError) -> IncomingFile {
        try IncomingFile(
            header: header, share: share, partialThreshold: options.partialThreshold, decompressor: decompressor,
            dictionaries: options.dictionaries, signatureMinimum: options.signatureMinimum)
    }

    /// Whether committing `file` fills the batch, so that `commit` hands it to the flusher after waiting for the
    /// batch before it: a wait for `syncfs` that the caller may want off the cooperative pool.
    public func commitFillsBatch(_ file: IncomingFile) -> Bool {
        batchIsFull(files: pending.count + 1, bytes: pendingBytes + file.header.size)
    }

    private func batchIsFull(files: Int, bytes: Int64) -> Bool {
        files >= options.batchFiles || bytes >= options.batchBytes
    }

    /// Verifies and queues a received file; flushes when the batch is full.
    public func commit(_ file: IncomingFile, expectedHash: [UInt8]) throws(FileSystemError) {
        let hash: [UInt8]
        do {
            hash = try file.finish(expectedHash: expectedHash, writer: self)
        } catch {
            file.discard()
            throw error
        }
        pending.append(
            PendingCommit(
                path: file.header.path, temporaryName: file.temporaryName, contentHash: hash,
                size: file.header.size, partialToRemove: file.partialToRemove, signature: file.signature))
        pendingBytes += file.header.size
        bytesWritten += file.bytesWritten
        if batchIsFull(files: pending.count, bytes: pendingBytes) {
            try submitPending()
        }
    }
}
