// Delta: the byte streams that move a changed file cheaply.
//
// The replica computes a signature of its copy (SignatureGenerator), the source turns the new file plus that
// signature into a delta (DeltaGenerator), and the replica applies the delta against its copy, read with pread
// (PatchApplier). Every stream may be zstd-compressed on the wire (ZstdCompressor / ZstdDecompressor).
//
// All of them are push-driven and bounded: the caller feeds bytes in whatever pieces it has, output comes back
// through a callback whose buffer is reused (valid only during the call), and no object ever holds a whole file,
// so memory stays flat for files of many GiB. Each object serves one stream for one task at a time; none is
// Sendable because none is safe to share, but each may move between tasks (no thread affinity).
//
// The delta format (librsync's) carries no checksum of the result: callers verify the patched file against the
// source's whole-file hash.

import CBlockDelta

/// Loads a complete signature of the replica's basis, then turns the new file's bytes into a delta stream against
/// that basis: rsync's search (a rolling sum tried at every byte, XXH3 to confirm), written as librsync delta
/// commands, adjacent copies merged.
public final class DeltaGenerator {
    private let signature: OpaquePointer
    private let job: OpaquePointer
    /// Why the generator stopped; it then refuses more input.
    private var failure: DeltaError?
    public private(set) var isFinished = false
    /// The block length of the signature.
    public let blockLength: Int

    /// - Parameter signature: a whole signature as produced by `SignatureGenerator`.
    /// - Throws: `DeltaError` with `.corruptSignature` if it is malformed.
    public init(signature bytes: [UInt8]) throws {
        var why = [CChar](repeating: 0, count: 256)
        var outOfMemory: Int32 = 0
        let loaded = bytes.withUnsafeBufferPointer { buffer in
            cblockdelta_signature_load(buffer.baseAddress, buffer.count, &why, why.count, &outOfMemory)
        }
        guard let loaded else {
            let reason = why.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            if outOfMemory != 0 { throw DeltaError(code: .outOfMemory, message: "signature: \(reason)") }
            throw DeltaError(code: .corruptSignature, message: "corrupt signature: \(reason)")
        }
        guard let job = cblockdelta_job_new(loaded) else {
            cblockdelta_signature_free(loaded)
            throw DeltaError(code: .outOfMemory, message: "out of memory for a delta job")
        }
        signature = loaded
        self.job = job
        blockLength = Int(cblockdelta_signature_block_length(loaded))
    }

    deinit {
        cblockdelta_job_free(job)
        cblockdelta_signature_free(signature)
    }

    /// Feeds the next bytes of the new file; the delta comes out through `output` (its buffer is valid only during
    /// the call). With `isLast`, the rest of the delta and its END command are emitted.
    public func feed(
        _ input: UnsafeRawBufferPointer,
        isLast: Bool,
        output: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        if let failure {
            throw DeltaError(
                code: .unusableAfterFailure, message: "delta cannot continue after an earlier failure", cause: failure)
        }
        if isFinished {
            if input.isEmpty { return }
            throw DeltaError(
                code: .inputAfterEnd, message: "delta received \(input.count) bytes after its stream ended")
        }
        var produced: UnsafePointer<UInt8>?
        var count = 0
        let result = cblockdelta_job_feed(
            job, input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count, isLast ? 1 : 0, &produced,
            &count)
        guard result == 0 else {
            let error = DeltaError(code: .outOfMemory, message: "delta: out of memory")
            failure = error
            throw error
        }
        if isLast { isFinished = true }
        if count > 0 {
            do {
                try output(UnsafeRawBufferPointer(start: produced, count: count))
            } catch {
                // The consumer's own error goes up; the generator remembers why it stopped.
                failure = DeltaError(
                    code: .outputConsumerFailed, message: "delta stopped: the output consumer failed", cause: error)
                throw error
            }
        }
    }

    /// Blocks copied from the basis so far, and bytes sent as literals (what the delta saved, for logs and tests).
    public var copiedBlocks: UInt64 { cblockdelta_job_copied_blocks(job) }
    public var literalBytes: UInt64 { cblockdelta_job_literal_bytes(job) }
}
