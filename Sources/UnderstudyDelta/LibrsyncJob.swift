import CLibrsync

/// Drives one librsync job (signature, load-signature, delta or patch) with
/// the streaming API, shared by the public wrappers of this folder.
///
/// librsync copies every byte it is given into its internal "scoop" before
/// scanning (delta) and grows that scoop to fit, so input is handed over in
/// slices of at most `inputSliceLimit`: memory stays bounded even when a
/// caller passes a huge buffer.
final class LibrsyncJob {
    static let outputCapacity = 256 * 1024
    static let inputSliceLimit = 256 * 1024

    /// The job's operation for messages: "signature", "delta", "patch", ...
    private let operation: String
    private let failureCode: DeltaError.Code
    private let job: OpaquePointer
    private let outputBuffer: UnsafeMutableRawPointer
    private var failure: DeltaError?
    /// Translates a failing result into an error when the wrapper knows more
    /// (the patch job knows about basis reads); nil means "use the default".
    private let explain: ((rs_result, String) -> DeltaError?)?
    /// Frees what the job borrows (a signature, a basis), after the job.
    private let releaseAfterJob: (() -> Void)?

    private(set) var isFinished = false
    var hasFailed: Bool { failure != nil }

    /// Takes ownership of `job` (freed in deinit).
    init(
        _ job: OpaquePointer,
        operation: String,
        failureCode: DeltaError.Code,
        explain: ((rs_result, String) -> DeltaError?)? = nil,
        releaseAfterJob: (() -> Void)? = nil
    ) {
        self.job = job
        self.operation = operation
        self.failureCode = failureCode
        self.explain = explain
        self.releaseAfterJob = releaseAfterJob
        outputBuffer = UnsafeMutableRawPointer.allocate(
            byteCount: Self.outputCapacity, alignment: 16)
    }

    deinit {
        rs_job_free(job)
        releaseAfterJob?()
        outputBuffer.deallocate()
    }

    /// Feeds `input`; with `isLast`, runs the job to completion.
    /// - Returns: how many bytes of `input` the job consumed. Only a job that
    ///   ends by itself (patch, at the delta's END command) can leave bytes.
    @discardableResult
    func feed(
        _ input: UnsafeRawBufferPointer,
        isLast: Bool,
        output: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int {
        if let failure {
            throw DeltaError(
                code: .unusableAfterFailure,
                message: "librsync \(operation) cannot continue after an earlier failure",
                cause: failure)
        }
        if isFinished {
            if input.isEmpty {
                return 0
            }
            throw DeltaError(
                code: .inputAfterEnd,
                message: "librsync \(operation) received \(input.count) bytes after its stream ended")
        }
        clibrsync_capture_log()
        clibrsync_clear_last_error()
        do {
            return try run(input, isLast: isLast, output: output)
        } catch {
            failure =
                error as? DeltaError
                ?? DeltaError(
                    code: .outputConsumerFailed,
                    message: "librsync \(operation) stopped: the output consumer failed",
                    cause: error)
            throw error
        }
    }

    private func run(
        _ input: UnsafeRawBufferPointer,
        isLast: Bool,
        output: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int {
        var offset = 0
        repeat {
            let sliceCount = min(input.count - offset, Self.inputSliceLimit)
            let sliceIsLast = isLast && offset + sliceCount == input.count
            var buffers = rs_buffers_t()
            // librsync never writes through next_in; the type is just not const.
            buffers.next_in =
                sliceCount == 0
                ? nil
                : UnsafeMutableRawPointer(mutating: input.baseAddress! + offset)
                    .assumingMemoryBound(to: CChar.self)
            buffers.avail_in = sliceCount
            buffers.eof_in = sliceIsLast ? 1 : 0
            let outputStart = outputBuffer.assumingMemoryBound(to: CChar.self)
            while true {
                buffers.next_out = outputStart
                buffers.avail_out = Self.outputCapacity
                let inputBefore = buffers.avail_in
                let result = rs_job_iter(job, &buffers)
                let produced = Self.outputCapacity - buffers.avail_out
                if produced > 0 {
                    try output(UnsafeRawBufferPointer(start: outputBuffer, count: produced))
                }
                if result == RS_DONE {
                    isFinished = true
                    break
                }
                guard result == RS_BLOCKED else {
                    throw error(for: result)
                }
                if buffers.avail_out == 0 {
                    continue  // output was full: more may be waiting inside the job
                }
                if buffers.avail_in == 0 && !sliceIsLast {
                    break  // the job wants more input
                }
                if produced == 0 && buffers.avail_in == inputBefore {
                    // At end of input a job must finish or fail; blocking
                    // without progress would otherwise spin forever.
                    throw DeltaError(
                        code: failureCode,
                        message: "librsync \(operation) made no progress "
                            + (sliceIsLast ? "at end of input" : "with input pending"))
                }
            }
            offset += sliceCount - buffers.avail_in
        } while offset < input.count && !isFinished
        if isLast && !isFinished {
            throw DeltaError(
                code: failureCode, message: "librsync \(operation) did not finish at end of input")
        }
        return offset
    }

    private func error(for result: rs_result) -> DeltaError {
        let detail = String(cString: clibrsync_last_error())
        if let explained = explain?(result, detail) {
            return explained
        }
        let code: DeltaError.Code = result == RS_MEM_ERROR ? .outOfMemory : failureCode
        return DeltaError(code: code, message: Self.describe(operation, result, detail))
    }

    /// "librsync delta failed: RS_CORRUPT (data corrupted): <librsync's line>"
    static func describe(_ operation: String, _ result: rs_result, _ detail: String) -> String {
        var message =
            "librsync \(operation) failed: \(name(of: result))"
            + " (\(String(cString: rs_strerror(result))))"
        if !detail.isEmpty {
            message += ": \(detail)"
        }
        return message
    }

    static func name(of result: rs_result) -> String {
        switch result {
        case RS_DONE: "RS_DONE"
        case RS_BLOCKED: "RS_BLOCKED"
        case RS_RUNNING: "RS_RUNNING"
        case RS_TEST_SKIPPED: "RS_TEST_SKIPPED"
        case RS_IO_ERROR: "RS_IO_ERROR"
        case RS_SYNTAX_ERROR: "RS_SYNTAX_ERROR"
        case RS_MEM_ERROR: "RS_MEM_ERROR"
        case RS_INPUT_ENDED: "RS_INPUT_ENDED"
        case RS_BAD_MAGIC: "RS_BAD_MAGIC"
        case RS_UNIMPLEMENTED: "RS_UNIMPLEMENTED"
        case RS_CORRUPT: "RS_CORRUPT"
        case RS_INTERNAL_ERROR: "RS_INTERNAL_ERROR"
        case RS_PARAM_ERROR: "RS_PARAM_ERROR"
        default: "rs_result \(result.rawValue)"
        }
    }
}
