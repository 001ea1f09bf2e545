import Synchronization

/// The zstd dictionaries a receiver was given on one connection (`compressionDictionary` messages): the latest one
/// of each share (a sender uses one per share; a new training replaces it). A file whose first frame names a
/// dictionary is decoded with it; one that names an id not held fails to decode.
public final class CompressionDictionaries: Sendable {
    /// At most this many shares' dictionaries on one connection.
    public static let maximumCount = 1024
    private let table = Mutex<[String: ZstdDictionary]>([:])

    public init() {}

    /// Takes a dictionary as it came over the wire: zstd-compressed, its id announced beside it.
    /// - Throws: `DeltaError` `.corruptCompressedData` when the bytes do not decompress to a dictionary of that id
    ///   within `ZstdDictionary.maximumSize`, and `.invalidArgument` past `maximumCount`. Nothing is kept then.
    /// - Parameter share: the share whose sync it came in; it replaces that share's previous one.
    public func add(id: UInt32, compressed: UnsafeRawBufferPointer, share: String) throws {
        let decompressor = try ZstdDecompressor()
        var bytes: [UInt8] = []
        try decompressor.decompress(compressed) { plain in
            guard bytes.count + plain.count <= ZstdDictionary.maximumSize else {
                throw DeltaError(
                    code: .corruptCompressedData,
                    message: "dictionary \(id) decompresses to more than \(ZstdDictionary.maximumSize) bytes")
            }
            bytes.append(contentsOf: plain)
        }
        guard decompressor.isFrameComplete else {
            throw DeltaError(code: .corruptCompressedData, message: "dictionary \(id) is cut short")
        }
        let dictionary = try ZstdDictionary(bytes: bytes, level: 1)
        guard dictionary.id == id else {
            throw DeltaError(
                code: .corruptCompressedData,
                message: "a dictionary announced as \(id) carries the id \(dictionary.id)")
        }
        try table.withLock { table in
            guard table.count < Self.maximumCount || table[share] != nil else {
                throw DeltaError(
                    code: .invalidArgument,
                    message: "dictionaries of more than \(Self.maximumCount) shares on one connection")
            }
            table[share] = dictionary
        }
    }

    public func dictionary(id: UInt32) -> ZstdDictionary? {
        table.withLock { table in table.values.first { $0.id == id } }
    }

    /// Sets `decompressor` for the frame that `firstChunk` begins: with the dictionary it names, or none.
    /// - Throws: `DeltaError` `.corruptCompressedData` when it names a dictionary not given on this connection.
    public func prepare(_ decompressor: ZstdDecompressor, forFrameBeginning firstChunk: UnsafeRawBufferPointer) throws {
        let id = ZstdDictionary.frameDictionaryID(firstChunk)
        guard id != 0 else { return try decompressor.use(nil) }
        guard let dictionary = dictionary(id: id) else {
            throw DeltaError(
                code: .corruptCompressedData,
                message: "the data was compressed with dictionary \(id), which was not received on this connection")
        }
        try decompressor.use(dictionary)
    }
}
