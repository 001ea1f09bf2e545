import Testing
import UnderstudyDelta
import UnderstudyNode

@Suite struct SignatureGeneratorTests {
    @Test(arguments: [0, 1, 4096, 1_000_003])
    func writesBlockHeader_withTheBasisSize_andOneShortSumPerBlock(size: Int) throws {
        let basis = DeltaTestBytes.bytes(seed: UInt64(size), count: size)
        let generator = try SignatureGenerator(basisSize: Int64(size))
        var signature: [UInt8] = []
        try basis.withUnsafeBytes { try generator.feed($0, isLast: true) { signature.append(contentsOf: $0) } }

        #expect(Array(signature.prefix(4)) == Array("usB1".utf8))
        let blockLength = signature[4..<8].reduce(0) { $0 << 8 | Int($1) }
        let strongLength = signature[8..<12].reduce(0) { $0 << 8 | Int($1) }
        let basisSize = signature[12..<20].reduce(0) { $0 << 8 | Int($1) }
        #expect(blockLength == generator.blockLength)
        #expect(strongLength == generator.strongSumLength)
        #expect(basisSize == size)
        #expect(strongLength >= 4 && strongLength <= 9, "rsync's length for the size plus one, not a whole hash")
        let blocks = (size + blockLength - 1) / blockLength
        #expect(signature.count == 20 + blocks * (4 + strongLength))
    }

    @Test func blockLength_growsWithBasisSize() throws {
        let small = try SignatureGenerator(basisSize: 1 << 20).blockLength
        let large = try SignatureGenerator(basisSize: 4 << 30).blockLength
        #expect(large > small)
        // Keeps a several-GiB signature to a few MiB.
        #expect((4 << 30) / large * 36 < 8 << 20)
    }

    @Test func blockLength_isAtLeast700Bytes_orTheWholeSmallFile() throws {
        #expect(try SignatureGenerator(basisSize: 25_000).blockLength == SignatureGenerator.minimumBlockLength)
        #expect(try SignatureGenerator(basisSize: 300).blockLength == 300)
        // Beyond 700 × 700 bytes, the square-root rule takes over.
        #expect(try SignatureGenerator(basisSize: 1 << 20).blockLength > SignatureGenerator.minimumBlockLength)
        // Sums of a 60 KB file: under 2 % of it (at 256-byte blocks, 4.7 %).
        let generator = try SignatureGenerator(basisSize: 60_000)
        let basis = DeltaTestBytes.bytes(seed: 5, count: 60_000)
        var signature: [UInt8] = []
        try basis.withUnsafeBytes { try generator.feed($0, isLast: true) { signature.append(contentsOf: $0) } }
        #expect(signature.count < 60_000 / 50)
    }

    @Test(arguments: [DeltaChunkPlan.singleBytes, .sevenBytes, .oddLarge, .mixed])
    func signature_isIndependentOfChunking(plan: DeltaChunkPlan) throws {
        let basis = DeltaTestBytes.bytes(seed: 11, count: 150 * 1024 + 17)
        #expect(try DeltaPipeline.signature(of: basis, plan: plan) == DeltaPipeline.signature(of: basis))
    }

    @Test func emitsNothingFinal_untilLastInput() throws {
        let generator = try SignatureGenerator(basisSize: 10_000)
        let basis = DeltaTestBytes.bytes(seed: 12, count: 10_000)
        var produced = 0
        try basis.withUnsafeBytes { try generator.feed($0, isLast: false) { produced += $0.count } }
        #expect(!generator.isFinished)
        let beforeEnd = produced
        try generator.feed(UnsafeRawBufferPointer(start: nil, count: 0), isLast: true) { produced += $0.count }
        #expect(generator.isFinished)
        #expect(produced > beforeEnd)  // the final short block's sum
    }

    /// rsync's block for a 256 MiB file (16 KiB), and its strong sum plus a byte: 8 bytes a block, 128 KiB in all
    /// (rsync sends 112 KiB).
    @Test func aQuarterGiBBasis_takes16KiBBlocks_andFourByteStrongSums() throws {
        let generator = try SignatureGenerator(basisSize: 256 << 20)
        #expect(generator.blockLength == 16 * 1024)
        #expect(generator.strongSumLength == 4)
        #expect(SignatureGenerator.header(basisSize: 256 << 20).count == 20)
    }

    @Test(arguments: [-1, 1])
    func refuses_aBasisThatChangedSizeWhileRead(difference: Int) throws {
        let generator = try SignatureGenerator(basisSize: 10_000)
        let basis = DeltaTestBytes.bytes(seed: 13, count: 10_000 + difference)
        let error = expectDeltaError(.signatureFailed) {
            try basis.withUnsafeBytes { try generator.feed($0, isLast: true) { _ in } }
        }
        #expect(error?.message.contains("changed while it was read") == true, "\(String(describing: error))")
    }

    @Test func refuses_negativeBasisSize() {
        expectDeltaError(.invalidArgument) { _ = try SignatureGenerator(basisSize: -1) }
    }

    @Test func refuses_inputAfterEnd() throws {
        let generator = try SignatureGenerator(basisSize: 3)
        let bytes: [UInt8] = [1, 2, 3]
        try bytes.withUnsafeBytes { try generator.feed($0, isLast: true) { _ in } }
        expectDeltaError(.inputAfterEnd) {
            try bytes.withUnsafeBytes { try generator.feed($0, isLast: false) { _ in } }
        }
    }
}
