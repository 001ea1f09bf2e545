import CZstd

/// Streaming zstd decompression of one wire stream; accepts the compressed
/// bytes in any pieces, including several frames back to back.
public final class ZstdDecompressor {
    static let outputCapacity = 256 * 1024

    private let context: OpaquePointer
    private let outputBuffer: UnsafeMutableRawPointer
    private var failure: DeltaError?
    /// Kept alive while zstd refers to it.
    private var dictionary: ZstdDictionary?

    /// True when the input so far ends exactly at the end of a frame (its
    /// checksum verified). False before any frame has ended, and while a
    /// frame is partly received: a stream that stops then was cut short.
    public private(set) var isFrameComplete = false

    public init() throws {
        guard let context = ZSTD_createDCtx() else {
            throw DeltaError(code: .outOfMemory, message: "zstd could not allocate a decompression context")
        }
        self.context = context
        outputBuffer = UnsafeMutableRawPointer.allocate(byteCount: Self.outputCapacity, alignment: 16)
    }

    deinit {
        ZSTD_freeDCtx(context)
        outputBuffer.deallocate()
    }

    /// Forgets any frame in progress so the context can decode a new stream.
    public func reset() {
        ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
        failure = nil
        isFrameComplete = false
    }

    /// The dictionary of the frames decoded from now on; nil for none (`reset` keeps the choice). A frame made with
    /// a dictionary fails to decode without the same one.
    public func use(_ dictionary: ZstdDictionary?) throws {
        guard dictionary !== self.dictionary else { return }
        let result = ZSTD_DCtx_refDDict(context, dictionary?.decompressionDictionary)
        if ZSTD_isError(result) != 0 {
            throw DeltaError(
                code: .invalidArgument,
                message: "zstd could not take a dictionary: \(String(cString: ZSTD_getErrorName(result)))")
        }
        self.dictionary = dictionary
    }

    /// Decompresses `input`; the original bytes come out through `output`
    /// (its buffer is valid only during the call). Everything decodable from
    /// the input so far is emitted before returning.
    public func decompress(
        _ input: UnsafeRawBufferPointer,
        output: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        if let failure {
            throw DeltaError(
                code: .unusableAfterFailure,
                message: "zstd decompression cannot continue after an earlier failure", cause: failure)
        }
        do {
            try run(input, output: output)
        } catch {
            failure =
                error as? DeltaError
                ?? DeltaError(
                    code: .outputConsumerFailed,
                    message: "zstd decompression stopped: the output consumer failed", cause: error)
            throw error
        }
    }

    private func run(_ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while true {
            var destination = ZSTD_outBuffer(dst: outputBuffer, size: Self.outputCapacity, pos: 0)
            let consumedBefore = source.pos
            let hint = ZSTD_decompressStream(context, &destination, &source)
            if ZSTD_isError(hint) != 0 {
                throw DeltaError(
                    code: .corruptCompressedData,
                    message: "zstd decompression failed: \(String(cString: ZSTD_getErrorName(hint)))")
            }
            if destination.pos > 0 {
                try output(UnsafeRawBufferPointer(start: outputBuffer, count: destination.pos))
            }
            // A call that moved nothing reports on the next frame's header
            // (a non-zero hint) even when the last frame just ended.
            if source.pos > consumedBefore || destination.pos > 0 {
                isFrameComplete = hint == 0
            }
            // A full output buffer may mean more is buffered inside zstd.
            if source.pos == source.size && destination.pos < destination.size {
                return
            }
        }
    }
}
