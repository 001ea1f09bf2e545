import Testing
@testable import UnderstudyDelta
@testable import UnderstudyNode

/// One compressor and one decompressor serve every file of a sync; an abandoned file leaves a frame half
/// done, and `reset()` must make the next file decode on its own.
struct ZstdResetTests {
    @Test func reset_dropsHalfDoneFrame_onBothSides() throws {
        let compressor = try ZstdCompressor(level: 1)
        let decompressor = try ZstdDecompressor()
        var wire: [UInt8] = []
        let first = [UInt8](repeating: 7, count: 100_000)
        try first.withUnsafeBytes { try compressor.compress($0, mode: .flush) { wire.append(contentsOf: $0) } }
        var decoded: [UInt8] = []
        try wire.withUnsafeBytes { try decompressor.decompress($0) { decoded.append(contentsOf: $0) } }
        #expect(decoded == first)
        #expect(!decompressor.isFrameComplete)

        compressor.reset()
        decompressor.reset()
        let second = Array("the next file, complete on its own".utf8)
        wire = []
        try second.withUnsafeBytes { try compressor.compress($0, mode: .end) { wire.append(contentsOf: $0) } }
        decoded = []
        try wire.withUnsafeBytes { try decompressor.decompress($0) { decoded.append(contentsOf: $0) } }
        #expect(decoded == second)
        #expect(decompressor.isFrameComplete)
    }
}
