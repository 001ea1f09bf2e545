import CBlockDelta

/// Streaming signature of a basis file (the replica's copy of a file), sent to the source so it can compute a
/// delta.
///
/// rsync's scheme with faster sums: per block a 32-bit polynomial rolling sum and the first bytes of its XXH3 (see
/// CBlockDelta.h for the format). The block is about the square root of the basis size (at least rsync's 700
/// bytes, at most 128 KiB); the strong sum takes rsync's length for the size plus one byte (4 bytes for a 256 MiB
/// file: 8 bytes a block, where rsync sends 7), since a false match is not retried within the same sync. A false
/// block match cannot corrupt a replica: every file is checked against the source's SHA-256 before it is renamed
/// into place, and a file that fails the check is sent whole next time.
public final class SignatureGenerator {
    /// librsync picks 256-byte blocks for files up to 64 KiB; rsync's 700 bytes keep the signature of a small file
    /// under 2 % of it and cost at most 700 more literal bytes per changed region.
    public static let minimumBlockLength = 700

    /// The header a signature of a basis of `basisSize` bytes starts with (its parameters follow from the size): a
    /// kept signature made with other parameters, or by another version, is not served.
    public static func header(basisSize: Int64) -> [UInt8] {
        let (block, strong) = parameters(basisSize: basisSize)
        var header = [UInt8](repeating: 0, count: Int(CBLOCKDELTA_HEADER))
        cblockdelta_header(basisSize, block, strong, &header)
        return header
    }

    /// The block length and strong sum length for a basis of `basisSize` bytes.
    private static func parameters(basisSize: Int64) -> (block: UInt32, strong: UInt32) {
        var block: UInt32 = 0
        var strong: UInt32 = 0
        cblockdelta_parameters(basisSize, UInt32(minimumBlockLength), &block, &strong)
        return (block, strong)
    }

    /// The block length for this basis size.
    public let blockLength: Int
    /// Bytes of strong sum per block.
    public let strongSumLength: Int
    private let basisSize: Int64
    /// A block's bytes gathered across feeds; sums are computed straight from the input when it holds whole blocks.
    private var staging: [UInt8]
    private var output: [UInt8]
    /// Bytes of the basis fed so far.
    private var fed: Int64 = 0
    public private(set) var isFinished = false

    /// - Parameter basisSize: the size of the basis in bytes; it sets the block length and goes in the header. The
    ///   bytes fed must add up to it: a basis that changed while read makes `feed` throw at the end.
    public init(basisSize: Int64) throws {
        guard basisSize >= 0 else {
            throw DeltaError(code: .invalidArgument, message: "signature: basis size \(basisSize) is negative")
        }
        let (block, strong) = Self.parameters(basisSize: basisSize)
        blockLength = Int(block)
        strongSumLength = Int(strong)
        self.basisSize = basisSize
        staging = []
        staging.reserveCapacity(blockLength)
        output = Self.header(basisSize: basisSize)
    }

    /// Feeds the next bytes of the basis; the signature comes out through `output` (its buffer is valid only during
    /// the call). With `isLast`, the final short block is emitted.
    public func feed(
        _ input: UnsafeRawBufferPointer,
        isLast: Bool,
        output emit: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        if isFinished {
            if input.isEmpty { return }
            throw DeltaError(
                code: .inputAfterEnd, message: "signature received \(input.count) bytes after its stream ended")
        }
        fed += Int64(input.count)
        if fed > basisSize || (isLast && fed < basisSize) {
            isFinished = true
            throw DeltaError(
                code: .signatureFailed,
                message:
                    "signature: the basis changed while it was read (\(basisSize) bytes when opened, \(fed) read)")
        }
        var rest = input
        if !staging.isEmpty {
            let taken = min(rest.count, blockLength - staging.count)
            staging.append(contentsOf: rest.prefix(taken))
            rest = UnsafeRawBufferPointer(rebasing: rest[taken...])
            if staging.count == blockLength {
                staging.withUnsafeBytes { appendSums(of: $0) }
                staging.removeAll(keepingCapacity: true)
            }
        }
        let whole = rest.count / blockLength * blockLength
        if whole > 0 { appendSums(of: UnsafeRawBufferPointer(rebasing: rest[..<whole])) }
        staging.append(contentsOf: rest[whole...])
        if isLast {
            if !staging.isEmpty { staging.withUnsafeBytes { appendSums(of: $0) } }
            staging.removeAll()
            isFinished = true
        }
        if !output.isEmpty {
            try output.withUnsafeBytes(emit)
            output.removeAll(keepingCapacity: true)
        }
    }

    private func appendSums(of bytes: UnsafeRawBufferPointer) {
        let blocks = (bytes.count + blockLength - 1) / blockLength
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: blocks * (4 + strongSumLength)))
        output.withUnsafeMutableBytes { buffer in
            let written = cblockdelta_sums(
                bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count, UInt32(blockLength),
                UInt32(strongSumLength), buffer.baseAddress!.advanced(by: start).assumingMemoryBound(to: UInt8.self))
            precondition(written == blocks * (4 + strongSumLength))
        }
    }
}
