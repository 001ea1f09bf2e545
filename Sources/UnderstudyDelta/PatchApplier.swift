import CLibrsync

/// Applies a delta stream against a basis file, producing the new file's
/// bytes. The basis is read with pread at the offsets the delta copies from,
/// never loaded whole, and straight into the output buffer.
public final class PatchApplier {
    private let job: LibrsyncJob

    /// - Parameter basisDescriptor: an open, readable descriptor of the
    ///   basis; it stays owned by the caller and must stay open while the
    ///   patch runs. Its file offset is not used or moved.
    public init(basisDescriptor: Int32) throws {
        guard basisDescriptor >= 0 else {
            throw DeltaError(
                code: .invalidArgument,
                message: "patch: basis descriptor \(basisDescriptor) is not a valid descriptor")
        }
        let basis = UnsafeMutablePointer<clibrsync_basis>.allocate(capacity: 1)
        basis.initialize(to: clibrsync_basis(fd: basisDescriptor, read_errno: 0, ended_at: -1))
        guard let raw = clibrsync_patch_begin_fd(basis) else {
            basis.deallocate()
            throw DeltaError(code: .outOfMemory, message: "librsync could not start a patch job")
        }
        job = LibrsyncJob(
            raw, operation: "patch", failureCode: .corruptDelta,
            explain: { result, detail in Self.explain(result, detail, basis.pointee) },
            releaseAfterJob: { basis.deallocate() })
    }

    /// Feeds the next bytes of the delta; the new file's bytes come out
    /// through `output` (its buffer is valid only during the call).
    /// - Throws: `DeltaError` with `.corruptDelta` for a malformed or
    ///   truncated delta or data after its end, `.basisTooShort` or
    ///   `.basisReadFailed` when the basis cannot supply a COPY.
    public func feed(
        _ delta: UnsafeRawBufferPointer,
        isLast: Bool,
        output: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        if job.isFinished && !delta.isEmpty {
            throw Self.trailingData(delta.count)
        }
        let consumed = try job.feed(delta, isLast: isLast, output: output)
        if consumed < delta.count {
            throw Self.trailingData(delta.count - consumed)
        }
    }

    /// True once the delta's END command was applied: the output is complete.
    public var isFinished: Bool { job.isFinished }

    private static func trailingData(_ count: Int) -> DeltaError {
        DeltaError(code: .corruptDelta, message: "corrupt delta: \(count) bytes follow its END command")
    }

    private static func explain(_ result: rs_result, _ detail: String, _ basis: clibrsync_basis) -> DeltaError? {
        if result == RS_IO_ERROR && basis.read_errno != 0 {
            return DeltaError(
                code: .basisReadFailed,
                message: "patch: reading the basis file failed",
                cause: DeltaError.SystemCallError(call: "pread", errno: basis.read_errno))
        }
        if result == RS_INPUT_ENDED && basis.ended_at >= 0 {
            return DeltaError(
                code: .basisTooShort,
                message: "patch: the delta copies beyond the end of the basis (which ends at offset"
                    + " \(basis.ended_at)); the delta was made against another version of the file")
        }
        if result == RS_INPUT_ENDED {
            return DeltaError(
                code: .corruptDelta,
                message: LibrsyncJob.describe("patch", result, "the delta ended before its END command (truncated)"))
        }
        return nil
    }
}
