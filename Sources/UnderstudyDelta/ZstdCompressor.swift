import CZstd

/// Streaming zstd compression of one wire stream (a delta, a signature, a
/// whole file). Frames carry a content checksum, so the receiver detects
/// corruption at the end of each frame.
public final class ZstdCompressor {
    public enum Mode: Sendable {
        /// Buffer as zstd sees fit; output may lag behind input.
        case `continue`
        /// End of a wire chunk (ZSTD_e_flush): everything fed so far comes
        /// out, so the receiver can decode what it has.
        case flush
        /// End of stream (ZSTD_e_end): the frame is closed. A later call
        /// starts a new frame.
        case end
    }

    static let outputCapacity = 256 * 1024

    public let level: Int32
    private let context: OpaquePointer
    private let outputBuffer: UnsafeMutableRawPointer
    private var failure: DeltaError?
    /// Kept alive while zstd refers to it.
    private var dictionary: ZstdDictionary?

    /// - Parameter level: 1 (fastest) ... 19; negative levels trade ratio
    ///   for speed.
    public init(level: Int32 = 3) throws {
        guard (ZSTD_minCLevel()...ZSTD_maxCLevel()).contains(level) else {
            throw DeltaError(
                code: .invalidArgument,
                message: "zstd level \(level) is outside \(ZSTD_minCLevel())...\(ZSTD_maxCLevel())")
        }
        guard let context = ZSTD_createCCtx() else {
            throw DeltaError(code: .outOfMemory, message: "zstd could not allocate a compression context")
        }
        for (parameter, value) in [(ZSTD_c_compressionLevel, level), (ZSTD_c_checksumFlag, 1)] {
            let result = ZSTD_CCtx_setParameter(context, parameter, value)
            if ZSTD_isError(result) != 0 {
                ZSTD_freeCCtx(context)
                throw DeltaError(
                    code: .invalidArgument,
                    message: "zstd rejected a parameter: \(String(cString: ZSTD_getErrorName(result)))")
            }
        }
        self.level = level
        self.context = context
        outputBuffer = UnsafeMutableRawPointer.allocate(byteCount: Self.outputCapacity, alignment: 16)
    }

    deinit {
        ZSTD_freeCCtx(context)
        outputBuffer.deallocate()
    }

    /// Drops any frame in progress (a transfer that was abandoned) so the next call starts a fresh frame.
    /// Far cheaper than a new context, which matters when thousands of small files are sent.
    public func reset() {
        ZSTD_CCtx_reset(context, ZSTD_reset_session_only)
        failure = nil
    }

    /// The dictionary of the frames that start from now on; nil for none (`reset` keeps the choice).
    public func use(_ dictionary: ZstdDictionary?) throws {
        guard dictionary !== self.dictionary else { return }
        let result = ZSTD_CCtx_refCDict(context, dictionary?.compressionDictionary)
        if ZSTD_isError(result) != 0 {
            throw DeltaError(
                code: .invalidArgument,
                message: "zstd could not take a dictionary: \(String(cString: ZSTD_getErrorName(result)))")
        }
        self.dictionary = dictionary
    }

    /// Compresses `input`; compressed bytes come out through `output` (its
    /// buffer is valid only during the call).
    public func compress(
        _ input: UnsafeRawBufferPointer,
        mode: Mode,
        output: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        if let failure {
            throw DeltaError(
                code: .unusableAfterFailure,
                message: "zstd compression cannot continue after an earlier failure", cause: failure)
        }
        do {
            try run(input, mode: mode, output: output)
        } catch {
            failure =
                error as? DeltaError
                ?? DeltaError(
                    code: .outputConsumerFailed,
                    message: "zstd compression stopped: the output consumer failed", cause: error)
            throw error
        }
    }

    private func run(
        _ input: UnsafeRawBufferPointer,
        mode: Mode,
        output: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let directive: ZSTD_EndDirective =
            switch mode {
            case .continue: ZSTD_e_continue
            case .flush: ZSTD_e_flush
            case .end: ZSTD_e_end
            }
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while true {
            var destination = ZSTD_outBuffer(dst: outputBuffer, size: Self.outputCapacity, pos: 0)
            let remaining = ZSTD_compressStream2(context, &destination, &source, directive)
            if ZSTD_isError(remaining) != 0 {
                throw DeltaError(
                    code: .compressionFailed,
                    message: "zstd compression failed: \(String(cString: ZSTD_getErrorName(remaining)))")
            }
            if destination.pos > 0 {
                try output(UnsafeRawBufferPointer(start: outputBuffer, count: destination.pos))
            }
            // continue: done once the input is taken; flush/end: done once
            // zstd has nothing left to write (remaining == 0).
            let done = mode == .continue ? source.pos == source.size : remaining == 0
            if done {
                return
            }
        }
    }
}
