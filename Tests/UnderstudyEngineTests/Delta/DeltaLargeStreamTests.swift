import Foundation
import Testing
import UnderstudyDelta
import UnderstudyNode

/// Large inputs, run one at a time so the memory measurement sees only
/// its own stream.
@Suite(.serialized) struct DeltaLargeStreamTests {
    @Test(arguments: [DeltaChunkPlan.oddLarge, .mixed])
    func insertionOf100Bytes_in20MiB_costsUnderOnePercent(plan: DeltaChunkPlan) throws {
        var random = DeltaTestBytes(seed: 51)
        let basis = random.bytes(20 << 20)
        var newFile = basis
        newFile.insert(contentsOf: random.bytes(100), at: basis.count / 2)
        let signature = try DeltaPipeline.signature(of: basis, plan: plan)
        let delta = try DeltaPipeline.delta(signature: signature, newFile: newFile, plan: plan)
        #expect(delta.count < newFile.count / 100, "delta \(delta.count) bytes")
        let patched = try withDeltaTestFile(containing: basis) {
            try DeltaPipeline.patch(basisDescriptor: $0, delta: delta, plan: plan)
        }
        #expect(patched == newFile)
    }

    /// A 512 MiB file made on the fly, 256 KiB at a time: mostly zeros with
    /// a stamped random run per chunk; chunks in `changed` differ.
    struct SparseStream {
        static let chunkSize = 256 * 1024
        static let chunkCount = 2048  // 512 MiB
        let pattern = DeltaTestBytes.bytes(seed: 61, count: 8192)
        var changed: Set<Int> = []

        func forEachChunk(_ body: (UnsafeRawBufferPointer, Bool) throws -> Void) rethrows {
            var chunk = [UInt8](repeating: 0, count: Self.chunkSize)
            try chunk.withUnsafeMutableBytes { raw in
                for index in 0..<Self.chunkCount {
                    raw.initializeMemory(as: UInt8.self, repeating: 0)
                    let runStart = (index % 16) * 4096
                    let run = UnsafeMutableRawBufferPointer(rebasing: raw[runStart..<runStart + pattern.count])
                    pattern.withUnsafeBytes { run.copyMemory(from: $0) }
                    raw.storeBytes(of: UInt64(index), toByteOffset: 100_000, as: UInt64.self)
                    if changed.contains(index) {
                        raw.storeBytes(of: UInt64.max - UInt64(index), toByteOffset: 200_000, as: UInt64.self)
                    }
                    try body(UnsafeRawBufferPointer(raw), index == Self.chunkCount - 1)
                }
            }
        }
    }

    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss * 1024  // kilobytes on Linux
    }

    @Test func signatureAndDelta_of512MiBStream_keepMemoryBounded() throws {
        let before = Self.peakResidentBytes()
        let basis = SparseStream()
        var newFile = SparseStream()
        newFile.changed = [3, 700, 1500, 2047]
        let total = Int64(SparseStream.chunkSize * SparseStream.chunkCount)

        let signer = try SignatureGenerator(basisSize: total)
        var signature: [UInt8] = []
        try basis.forEachChunk { chunk, isLast in
            try signer.feed(chunk, isLast: isLast) { signature.append(contentsOf: $0) }
        }
        let delta = try DeltaGenerator(signature: signature)
        var deltaSize = 0
        try newFile.forEachChunk { chunk, isLast in
            try delta.feed(chunk, isLast: isLast) { deltaSize += $0.count }
        }
        let growth = Self.peakResidentBytes() - before

        #expect(delta.isFinished)
        #expect(signature.count < 4 << 20)
        // Four changed chunks cost about a block each; everything else is copied.
        #expect(deltaSize < 4 * 2 * signer.blockLength + 100_000, "delta \(deltaSize) bytes")
        #expect(growth < 100 << 20, "peak resident memory grew by \(growth >> 20) MiB")
    }
}
