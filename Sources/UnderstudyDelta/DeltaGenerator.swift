// Delta: the byte streams that move a changed file cheaply.
//
// The replica computes a signature of its copy (SignatureGenerator), the
// source turns the new file plus that signature into a delta
// (DeltaGenerator), and the replica applies the delta against its copy,
// read with pread (PatchApplier). Every stream may be zstd-compressed on the
// wire (ZstdCompressor / ZstdDecompressor).
//
// All of them are push-driven and bounded: the caller feeds bytes in
// whatever pieces it has, output comes back through a callback whose buffer
// is reused (valid only during the call), and no object ever holds a whole
// file, so memory stays flat for files of many GiB. Each object serves one
// stream for one task at a time; none is Sendable because none is safe to
// share, but each may move between tasks (no thread affinity).
//
// librsync's delta format carries no checksum of the result: callers verify
// the patched file against the source's whole-file hash.

import CLibrsync

/// Loads a complete signature of the replica's basis, then turns the new
/// file's bytes into a delta stream against that basis.
public final class DeltaGenerator {
    /// Blocks longer than this come only from a corrupt signature (librsync
    /// recommends about 1 MiB for a 1 TiB basis); accepting one would make
    /// librsync buffer that much of the new file.
    static let maximumBlockLength = 16 * 1024 * 1024
    static let maximumStrongSumLength = 32
    static let stagingCapacity = 64 * 1024

    private let job: LibrsyncJob
    /// Small feeds are gathered here first: against an empty signature
    /// librsync emits one LITERAL command per rs_job_iter call, so feeding
    /// single bytes would double the delta.
    private let staging: UnsafeMutableRawPointer
    private var stagedCount = 0
    /// The block length of the signature.
    public let blockLength: Int

    /// - Parameter signature: a whole signature as produced by
    ///   `SignatureGenerator` (BLAKE2 strong sums).
    /// - Throws: `DeltaError` with `.corruptSignature` if it is malformed.
    public init(signature: [UInt8]) throws {
        blockLength = try Self.validate(signature)
        var loaded: OpaquePointer?
        guard let loadJob = rs_loadsig_begin(&loaded), let sumset = loaded else {
            throw DeltaError(code: .outOfMemory, message: "librsync could not start loading a signature")
        }
        do {
            let loader = LibrsyncJob(loadJob, operation: "signature load", failureCode: .corruptSignature)
            try signature.withUnsafeBytes { bytes in
                _ = try loader.feed(bytes, isLast: true) { _ in }
            }
            let indexed = rs_build_hash_table(sumset)
            guard indexed == RS_DONE else {
                throw DeltaError(
                    code: indexed == RS_MEM_ERROR ? .outOfMemory : .corruptSignature,
                    message: LibrsyncJob.describe("signature index", indexed, ""))
            }
        } catch {
            rs_free_sumset(sumset)
            throw error
        }
        guard let deltaJob = rs_delta_begin(sumset) else {
            rs_free_sumset(sumset)
            throw DeltaError(code: .outOfMemory, message: "librsync could not start a delta job")
        }
        job = LibrsyncJob(
            deltaJob, operation: "delta", failureCode: .deltaFailed,
            releaseAfterJob: { rs_free_sumset(sumset) })
        staging = UnsafeMutableRawPointer.allocate(byteCount: Self.stagingCapacity, alignment: 16)
    }

    deinit {
        staging.deallocate()
    }

    /// Feeds the next bytes of the new file; the delta comes out through
    /// `output` (its buffer is valid only during the call). With `isLast`,
    /// the rest of the delta and its END command are emitted.
    public func feed(
        _ input: UnsafeRawBufferPointer,
        isLast: Bool,
        output: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        if job.isFinished || job.hasFailed {
            try job.feed(input, isLast: isLast, output: output)  // throws, or ignores empty input
            return
        }
        var rest = input
        while true {
            if stagedCount == 0 && rest.count >= Self.stagingCapacity {
                try job.feed(rest, isLast: isLast, output: output)
                return
            }
            let taken = min(rest.count, Self.stagingCapacity - stagedCount)
            if taken > 0 {
                (staging + stagedCount).copyMemory(from: rest.baseAddress!, byteCount: taken)
                stagedCount += taken
                rest = UnsafeRawBufferPointer(rebasing: rest[taken...])
            }
            let finishing = isLast && rest.isEmpty
            if stagedCount == Self.stagingCapacity || finishing {
                let staged = UnsafeRawBufferPointer(start: staging, count: stagedCount)
                stagedCount = 0
                try job.feed(staged, isLast: finishing, output: output)
            }
            if rest.isEmpty {
                return
            }
        }
    }

    /// True once the last input was fed and the delta is complete.
    public var isFinished: Bool { job.isFinished }

    /// Checks the header and shape that librsync 2.3 trusts blindly (it
    /// accepts a signature cut at any block boundary, and any block length).
    /// - Returns: the block length.
    static func validate(_ signature: [UInt8]) throws -> Int {
        func word(at offset: Int) -> UInt32 {
            signature[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        func corrupt(_ reason: String) -> DeltaError {
            DeltaError(code: .corruptSignature, message: "corrupt signature: \(reason)")
        }
        guard signature.count >= 12 else {
            throw corrupt("\(signature.count) bytes is shorter than the 12-byte header")
        }
        let magic = word(at: 0)
        guard magic == RS_BLAKE2_SIG_MAGIC.rawValue || magic == RS_RK_BLAKE2_SIG_MAGIC.rawValue else {
            let hex = String(magic, radix: 16)
            throw corrupt("magic 0x\(hex) is not a BLAKE2 signature (MD4 ones are refused as unsafe)")
        }
        let blockLength = Int(word(at: 4))
        guard (1...maximumBlockLength).contains(blockLength) else {
            throw corrupt("block length \(blockLength) is outside 1...\(maximumBlockLength)")
        }
        let strongLength = Int(word(at: 8))
        guard (1...maximumStrongSumLength).contains(strongLength) else {
            throw corrupt("strong sum length \(strongLength) is outside 1...\(maximumStrongSumLength)")
        }
        let body = signature.count - 12
        guard body % (4 + strongLength) == 0 else {
            throw corrupt("\(body) bytes of sums is not a whole number of \(4 + strongLength)-byte blocks (truncated?)")
        }
        return blockLength
    }
}
