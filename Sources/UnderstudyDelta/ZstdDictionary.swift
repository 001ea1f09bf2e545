import CZstd

/// A zstd dictionary: what many small files of one kind have in common (headers, keywords, boilerplate), trained
/// from samples (`train`). A file compressed with it refers to that common text instead of repeating it, which is
/// what makes small files compress: each is a frame of its own, too short to teach zstd much by itself.
///
/// The sender compresses with it (`ZstdCompressor.use`); each frame names its `id`, and the receiver, given the same
/// bytes, decompresses with it (`ZstdDecompressor.use`). Immutable once made; shared between tasks.
public final class ZstdDictionary: @unchecked Sendable {
    /// zstd's own default size for a trained dictionary (110 KiB).
    public static let defaultCapacity = 112_640
    /// Bytes of dictionary accepted from anyone (a bound for what a peer may send).
    public static let maximumSize = 1 << 20

    /// The id zstd writes in every frame compressed with the dictionary; never 0.
    public let id: UInt32
    /// The dictionary's bytes, as trained (what the receiver needs).
    public let bytes: [UInt8]
    private let compression: OpaquePointer
    private let decompression: OpaquePointer

    /// Wraps trained bytes (from `train`, or received from a peer).
    /// - Parameter level: the compression level of the frames made with it.
    /// - Throws: `.corruptCompressedData` when the bytes are not a zstd dictionary with an id, or too large.
    public init(bytes: [UInt8], level: Int32) throws {
        guard !bytes.isEmpty, bytes.count <= Self.maximumSize else {
            throw DeltaError(
                code: .corruptCompressedData,
                message: "a zstd dictionary of \(bytes.count) bytes (1 to \(Self.maximumSize) accepted)")
        }
        let id = bytes.withUnsafeBytes { ZSTD_getDictID_fromDict($0.baseAddress, $0.count) }
        guard id != 0 else {
            throw DeltaError(
                code: .corruptCompressedData,
                message: "\(bytes.count) bytes given as a zstd dictionary are not one (no dictionary id)")
        }
        guard let compression = bytes.withUnsafeBytes({ ZSTD_createCDict($0.baseAddress, $0.count, level) }) else {
            throw DeltaError(code: .outOfMemory, message: "zstd could not load a dictionary for compression")
        }
        guard let decompression = bytes.withUnsafeBytes({ ZSTD_createDDict($0.baseAddress, $0.count) }) else {
            ZSTD_freeCDict(compression)
            throw DeltaError(code: .outOfMemory, message: "zstd could not load a dictionary for decompression")
        }
        self.id = id
        self.bytes = bytes
        self.compression = compression
        self.decompression = decompression
    }

    deinit {
        ZSTD_freeCDict(compression)
        ZSTD_freeDDict(decompression)
    }

    var compressionDictionary: OpaquePointer { compression }
    var decompressionDictionary: OpaquePointer { decompression }

    /// Trains a dictionary from samples laid end to end in `samples`, `sizes` giving each one's length.
    /// - Throws: `.invalidArgument` when the sizes do not add up, and `.compressionFailed` when zstd cannot train
    ///   one (too few or too small samples: zstd wants many, and in all about a hundred times the capacity).
    public static func train(
        samples: [UInt8], sizes: [Int], capacity: Int = defaultCapacity, level: Int32
    ) throws -> ZstdDictionary {
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == samples.count else {
            throw DeltaError(
                code: .invalidArgument,
                message: "dictionary training: \(sizes.count) sample sizes do not add up to \(samples.count) bytes")
        }
        var trained = [UInt8](repeating: 0, count: capacity)
        let lengths = sizes.map { Int($0) }
        let result = trained.withUnsafeMutableBytes { output in
            samples.withUnsafeBytes { input in
                lengths.withUnsafeBufferPointer { lengths in
                    ZDICT_trainFromBuffer(
                        output.baseAddress, output.count, input.baseAddress, lengths.baseAddress,
                        UInt32(lengths.count))
                }
            }
        }
        if ZDICT_isError(result) != 0 {
            throw DeltaError(
                code: .compressionFailed,
                message: "zstd could not train a dictionary from \(sizes.count) samples of \(samples.count) bytes: "
                    + String(cString: ZDICT_getErrorName(result)))
        }
        return try ZstdDictionary(bytes: Array(trained.prefix(result)), level: level)
    }

    /// The dictionary id named in the header of the zstd frame that `bytes` begin with: 0 when the frame was made
    /// without a dictionary (or `bytes` do not hold a whole frame header).
    public static func frameDictionaryID(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        ZSTD_getDictID_fromFrame(bytes.baseAddress, bytes.count)
    }
}
