import CLibrsync

/// Streaming signature of a basis file (the replica's copy of a file), sent
/// to the source so it can compute a delta.
///
/// BLAKE2 strong sums at their full 32 bytes: the files may hold data chosen
/// by users, and shorter sums make crafted collisions (a corrupted replica)
/// cheaper. The block length is librsync's recommendation for the basis
/// size (about its square root), so a 4 GiB basis has 64 KiB blocks and a
/// signature of about 2.3 MiB.
public final class SignatureGenerator {
    private let job: LibrsyncJob
    /// The block length librsync chose for this basis size.
    public let blockLength: Int
    /// Bytes of strong sum per block.
    public let strongSumLength: Int

    /// - Parameter basisSize: the size of the basis in bytes; it sets the
    ///   block length. The bytes fed may differ (a file that changes while
    ///   read) — the signature is still valid, only less well tuned.
    public init(basisSize: Int64) throws {
        guard basisSize >= 0 else {
            throw DeltaError(
                code: .invalidArgument,
                message: "signature: basis size \(basisSize) is negative")
        }
        var magic = RS_BLAKE2_SIG_MAGIC
        var blockLength = 0
        var strongLength = 0
        let arguments = rs_sig_args(rs_long_t(basisSize), &magic, &blockLength, &strongLength)
        guard arguments == RS_DONE else {
            throw DeltaError(
                code: .invalidArgument,
                message: LibrsyncJob.describe(
                    "signature parameters for \(basisSize) bytes", arguments, ""))
        }
        guard let raw = rs_sig_begin(blockLength, strongLength, magic) else {
            throw DeltaError(
                code: .outOfMemory, message: "librsync could not start a signature job")
        }
        job = LibrsyncJob(raw, operation: "signature", failureCode: .signatureFailed)
        self.blockLength = blockLength
        self.strongSumLength = strongLength
    }

    /// Feeds the next bytes of the basis; the signature comes out through
    /// `output` (its buffer is valid only during the call). With `isLast`,
    /// the final short block and the end of the signature are emitted.
    public func feed(
        _ input: UnsafeRawBufferPointer,
        isLast: Bool,
        output: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        try job.feed(input, isLast: isLast, output: output)
    }

    /// True once the last input was fed and the signature is complete.
    public var isFinished: Bool { job.isFinished }
}
