import Testing
import UnderstudyDelta

/// The delta search against edits of every shape: each delta, applied by librsync's patch to the basis, gives the
/// new file, and costs about the edited bytes plus a block per edit.
@Suite struct DeltaSearchTests {
    enum Edit: String, CaseIterable, CustomStringConvertible, Sendable {
        case scattered, inserted, deleted, appended, truncated, prepended, moved, zeros
        var description: String { rawValue }
    }

    /// A 2 MiB basis and its edited version, with the bytes the edit wrote (a lower bound of the delta).
    static func files(_ edit: Edit) -> (basis: [UInt8], newFile: [UInt8], edited: Int) {
        var random = DeltaTestBytes(seed: 77)
        var basis = random.bytes(2 << 20)
        if edit == .zeros {
            // Runs of identical blocks: each must copy in order, and merge into one command.
            basis.replaceSubrange(100_000..<900_000, with: repeatElement(0, count: 800_000))
        }
        var newFile = basis
        var edited = 0
        switch edit {
        case .scattered:
            for index in 0..<20 {
                let at = index * 100_000 + 5_000
                newFile.replaceSubrange(at..<at + 500, with: random.bytes(500))
            }
            edited = 20 * 500
        case .inserted:
            newFile.insert(contentsOf: random.bytes(4096), at: 1_000_003)
            edited = 4096
        case .deleted:
            newFile.removeSubrange(700_001..<710_000)
        case .appended:
            newFile += random.bytes(300_000)
            edited = 300_000
        case .truncated:
            newFile.removeLast(123_457)
        case .prepended:
            newFile.insert(contentsOf: random.bytes(10), at: 0)
            edited = 10
        case .moved:
            let moved = Array(newFile[0..<500_000])
            newFile.removeSubrange(0..<500_000)
            newFile += moved
        case .zeros:
            newFile.replaceSubrange(400_000..<400_010, with: random.bytes(10))
            edited = 10
        }
        return (basis, newFile, edited)
    }

    @Test(arguments: Edit.allCases)
    func eachEdit_patchesBackToTheNewFile_forAboutTheEditedBytes(edit: Edit) throws {
        let (basis, newFile, edited) = Self.files(edit)
        let signature = try DeltaPipeline.signature(of: basis, plan: .oddLarge)
        let blockLength = try SignatureGenerator(basisSize: Int64(basis.count)).blockLength
        let generator = try DeltaGenerator(signature: signature)
        var delta: [UInt8] = []
        try DeltaChunkPlan.oddLarge.feed(newFile) { piece, isLast in
            try generator.feed(piece, isLast: isLast) { delta.append(contentsOf: $0) }
        }
        let patched = try withDeltaTestFile(containing: basis) { descriptor in
            try DeltaPipeline.patch(basisDescriptor: descriptor, delta: delta)
        }
        #expect(patched == newFile)
        let edits = edit == .scattered ? 20 : 1
        #expect(delta.count >= edited)
        #expect(delta.count <= edited + edits * 2 * blockLength + 1024, "delta \(delta.count) bytes")
        #expect(generator.literalBytes <= UInt64(edited + edits * 2 * blockLength))
    }

    @Test func anUnchangedFile_isOneCopyCommand_shortLastBlockIncluded() throws {
        let basis = DeltaTestBytes.bytes(seed: 78, count: 1_000_003)
        let signature = try DeltaPipeline.signature(of: basis)
        let delta = try DeltaPipeline.delta(signature: signature, newFile: basis)
        // Magic, one COPY (offset 0 in one byte, length in four), END.
        #expect(delta == [0x72, 0x73, 0x02, 0x36, 0x47, 0, 0x00, 0x0F, 0x42, 0x43, 0])
    }

    @Test func aLongRunOfNewBytes_isSentInBoundedLiterals_andStillPatches() throws {
        var random = DeltaTestBytes(seed: 79)
        let basis = random.bytes(64 * 1024)
        let newFile = random.bytes(3 << 20) + basis
        let signature = try DeltaPipeline.signature(of: basis)
        let delta = try DeltaPipeline.delta(signature: signature, newFile: newFile, plan: .oddLarge)
        let patched = try withDeltaTestFile(containing: basis) { descriptor in
            try DeltaPipeline.patch(basisDescriptor: descriptor, delta: delta)
        }
        #expect(patched == newFile)
        #expect(delta.count < 3 << 20 + 1024, "the basis's bytes at the end were copied")
    }
}

import CBlockDelta

extension DeltaSearchTests {
    /// The vector version of the rolling sum (AVX2 where the processor has it) gives the portable version's sums,
    /// for every length around the lane count, so signatures from either kind of machine match.
    @Test func theRollingSum_isTheSameWithAndWithoutVectorInstructions() {
        let bytes = DeltaTestBytes.bytes(seed: 80, count: 70_000)
        for length in Array(0...70) + [700, 4095, 4096, 16_384, 65_537] {
            bytes.withUnsafeBufferPointer { all in
                let fast = cblockdelta_rolling_sum(all.baseAddress, length, 0)
                let portable = cblockdelta_rolling_sum(all.baseAddress, length, 1)
                #expect(fast == portable, "length \(length)")
            }
        }
    }
}
