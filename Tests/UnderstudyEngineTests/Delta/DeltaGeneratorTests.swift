import Testing
import UnderstudyDelta
import UnderstudyNode

/// A basis, the new version of the file, and what its delta may cost.
struct DeltaTestScenario: CustomStringConvertible, Sendable {
    let name: String
    let basis: [UInt8]
    let newFile: [UInt8]
    /// The delta must be at most this long.
    let maximumDeltaSize: Int
    /// The delta must be at least this long (literal data cannot shrink).
    let minimumDeltaSize: Int

    var description: String { name }

    static func all() -> [DeltaTestScenario] {
        var random = DeltaTestBytes(seed: 42)
        let size = 200 * 1024
        let basis = random.bytes(size)
        let other = random.bytes(size)
        let tail = random.bytes(30 * 1024)
        let inserted = random.bytes(100)
        var withInsertion = basis
        withInsertion.insert(contentsOf: inserted, at: size / 2)
        return [
            DeltaTestScenario(
                name: "both empty", basis: [], newFile: [],
                maximumDeltaSize: 8, minimumDeltaSize: 0),
            DeltaTestScenario(
                name: "empty basis", basis: [], newFile: basis,
                maximumDeltaSize: size + size / 100, minimumDeltaSize: size),
            DeltaTestScenario(
                name: "empty new file", basis: basis, newFile: [],
                maximumDeltaSize: 8, minimumDeltaSize: 0),
            DeltaTestScenario(
                name: "identical", basis: basis, newFile: basis,
                maximumDeltaSize: size / 100, minimumDeltaSize: 0),
            DeltaTestScenario(
                name: "100 bytes inserted", basis: basis, newFile: withInsertion,
                maximumDeltaSize: size / 100, minimumDeltaSize: 100),
            DeltaTestScenario(
                name: "tail appended", basis: basis, newFile: basis + tail,
                maximumDeltaSize: tail.count + size / 100, minimumDeltaSize: tail.count),
            DeltaTestScenario(
                name: "completely different", basis: basis, newFile: other,
                maximumDeltaSize: size + size / 100, minimumDeltaSize: size),
        ]
    }
}

@Suite struct DeltaGeneratorTests {
    static let plans: [DeltaChunkPlan] = [.whole, .singleBytes, .sevenBytes, .oddLarge, .mixed]

    @Test(arguments: DeltaTestScenario.all(), plans)
    func roundTrip_reproducesNewFile(scenario: DeltaTestScenario, plan: DeltaChunkPlan) throws {
        let signature = try DeltaPipeline.signature(of: scenario.basis, plan: plan)
        let delta = try DeltaPipeline.delta(signature: signature, newFile: scenario.newFile, plan: plan)
        let patched = try withDeltaTestFile(containing: scenario.basis) { descriptor in
            try DeltaPipeline.patch(basisDescriptor: descriptor, delta: delta, plan: plan)
        }
        #expect(patched == scenario.newFile)
        #expect(delta.count <= scenario.maximumDeltaSize, "delta \(delta.count) bytes")
        #expect(delta.count >= scenario.minimumDeltaSize, "delta \(delta.count) bytes")
    }

    @Test(arguments: [DeltaChunkPlan.whole, .sevenBytes, .mixed])
    func delta_isIndependentOfChunking(plan: DeltaChunkPlan) throws {
        var random = DeltaTestBytes(seed: 7)
        let basis = random.bytes(300 * 1024)
        var newFile = basis
        newFile.replaceSubrange(1000..<1500, with: random.bytes(700))
        let signature = try DeltaPipeline.signature(of: basis)
        let reference = try DeltaPipeline.delta(signature: signature, newFile: newFile)
        #expect(try DeltaPipeline.delta(signature: signature, newFile: newFile, plan: plan) == reference)
    }

    @Test func garbageSums_stillYieldCorrectPatch() throws {
        // A signature of the right shape whose sums match nothing: the delta
        // degrades to literal data but stays correct.
        var random = DeltaTestBytes(seed: 9)
        let basis = random.bytes(100 * 1024)
        let newFile = random.bytes(120 * 1024)
        var signature = try DeltaPipeline.signature(of: basis)
        signature.replaceSubrange(20..., with: random.bytes(signature.count - 20))
        let delta = try DeltaPipeline.delta(signature: signature, newFile: newFile)
        let patched = try withDeltaTestFile(containing: basis) { descriptor in
            try DeltaPipeline.patch(basisDescriptor: descriptor, delta: delta)
        }
        #expect(patched == newFile)
    }

    @Test func refuses_signatureShorterThanHeader() {
        expectDeltaError(.corruptSignature) { _ = try DeltaGenerator(signature: [0x72, 0x73, 0x01]) }
    }

    @Test func refuses_signatureWithForeignMagic() throws {
        var signature = try DeltaPipeline.signature(of: DeltaTestBytes.bytes(seed: 1, count: 4096))
        signature[3] = 0x99
        let error = expectDeltaError(.corruptSignature) { _ = try DeltaGenerator(signature: signature) }
        #expect(error?.message.contains("magic") == true)
    }

    /// An older node's librsync signature (BLAKE2 sums): refused by name, so the file goes whole.
    @Test func refuses_aLibrsyncSignature() throws {
        var signature = try DeltaPipeline.signature(of: DeltaTestBytes.bytes(seed: 1, count: 4096))
        signature.replaceSubrange(0..<4, with: [0x72, 0x73, 0x01, 0x37])
        let error = expectDeltaError(.corruptSignature) { _ = try DeltaGenerator(signature: signature) }
        #expect(error?.message.contains("0x72730137") == true, "\(String(describing: error))")
    }

    @Test func refuses_sumsThatDoNotFitTheBasisSizeInTheHeader() throws {
        var signature = try DeltaPipeline.signature(of: DeltaTestBytes.bytes(seed: 2, count: 64 * 1024))
        signature[19] &+= 1  // the basis size, one byte more: the same blocks, or one short block more
        signature[18] &+= 8  // and 2 KiB more: three more blocks of 700 bytes
        let error = expectDeltaError(.corruptSignature) { _ = try DeltaGenerator(signature: signature) }
        #expect(error?.message.contains("do not match a basis") == true, "\(String(describing: error))")
    }

    @Test func refuses_truncatedSignature() throws {
        let signature = try DeltaPipeline.signature(of: DeltaTestBytes.bytes(seed: 2, count: 64 * 1024))
        let error = expectDeltaError(.corruptSignature) {
            _ = try DeltaGenerator(signature: Array(signature.dropLast(5)))
        }
        #expect(error?.message.contains("truncated") == true)
    }

    @Test(arguments: [
        ([0, 0, 0, 0] as [UInt8], "block length"),
        ([0x7F, 0xFF, 0xFF, 0xFF], "block length"),
        ([0, 2, 0, 1], "block length"),  // 128 KiB + 1: more than any signature asks for (hashing it costs the search)
    ])
    func refuses_absurdBlockLength(field: [UInt8], expectedWords: String) throws {
        var signature = try DeltaPipeline.signature(of: DeltaTestBytes.bytes(seed: 3, count: 4096))
        signature.replaceSubrange(4..<8, with: field)
        let error = expectDeltaError(.corruptSignature) { _ = try DeltaGenerator(signature: signature) }
        #expect(error?.message.contains(expectedWords) == true)
    }

    @Test func refuses_absurdStrongSumLength() throws {
        var signature = try DeltaPipeline.signature(of: DeltaTestBytes.bytes(seed: 3, count: 4096))
        signature.replaceSubrange(8..<12, with: [0, 0, 0, 33])
        expectDeltaError(.corruptSignature) { _ = try DeltaGenerator(signature: signature) }
    }

    @Test func refuses_inputAfterEnd() throws {
        let generator = try DeltaGenerator(signature: try DeltaPipeline.signature(of: []))
        let bytes: [UInt8] = [1, 2, 3]
        try bytes.withUnsafeBytes { try generator.feed($0, isLast: true) { _ in } }
        expectDeltaError(.inputAfterEnd) {
            try bytes.withUnsafeBytes { try generator.feed($0, isLast: true) { _ in } }
        }
    }

    @Test func outputConsumerError_propagates_andLeavesGeneratorUnusable() throws {
        struct ConsumerFailed: Error {}
        let generator = try DeltaGenerator(signature: try DeltaPipeline.signature(of: []))
        let bytes = DeltaTestBytes.bytes(seed: 4, count: 1024)
        #expect(throws: ConsumerFailed.self) {
            try bytes.withUnsafeBytes { try generator.feed($0, isLast: true) { _ in throw ConsumerFailed() } }
        }
        let error = expectDeltaError(.unusableAfterFailure) {
            try bytes.withUnsafeBytes { try generator.feed($0, isLast: true) { _ in } }
        }
        #expect((error?.cause as? DeltaError)?.code == .outputConsumerFailed)
    }
}
