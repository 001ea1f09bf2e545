import Testing
@testable import UnderstudyDelta

@Suite struct CompressionSampleTests {
    @Test func randomBytes_areNotWorthCompressing() throws {
        let sample = try CompressionSample()
        let random = TestTree.randomBytes(1 << 20, seed: 11)
        #expect(!random.withUnsafeBytes { sample.compresses($0) })
    }

    @Test func textLikeBytes_areCompressed() throws {
        let sample = try CompressionSample()
        let text = deltaCompressibleBytes(1 << 20, seed: 12)
        #expect(text.withUnsafeBytes { sample.compresses($0) })
    }

    @Test func aChunkHalfTextHalfNoise_isCompressed() throws {
        let sample = try CompressionSample()
        let mixed = deltaCompressibleBytes(512 << 10, seed: 13) + TestTree.randomBytes(512 << 10, seed: 14)
        #expect(mixed.withUnsafeBytes { sample.compresses($0) })
    }

    @Test func theShortestChunks_areCompressedWithoutALook() throws {
        let sample = try CompressionSample()
        let random = TestTree.randomBytes(CompressionSample.minimumJudged - 1, seed: 15)
        #expect(random.withUnsafeBytes { sample.compresses($0) })
        #expect([UInt8]().withUnsafeBytes { sample.compresses($0) })
    }

    @Test func aShortChunkOfNoise_isNotWorthCompressing_andShortText_is() throws {
        let sample = try CompressionSample()
        for size in [CompressionSample.minimumJudged, 9000, CompressionSample.minimumChunk - 1] {
            let random = TestTree.randomBytes(size, seed: UInt64(16 + size))
            #expect(!random.withUnsafeBytes { sample.compresses($0) }, "\(size) random bytes")
            let text = deltaCompressibleBytes(size, seed: UInt64(17 + size))
            #expect(text.withUnsafeBytes { sample.compresses($0) }, "\(size) bytes of text")
        }
    }

    @Test func entropy_isEightBitsForEvenlySpreadBytes_andZeroForOneValue() {
        let even = (0..<4096).map { UInt8($0 % 256) }
        #expect(even.withUnsafeBytes { CompressionSample.bitsPerByte($0) } == 8)
        let same = [UInt8](repeating: 65, count: 4096)
        #expect(same.withUnsafeBytes { CompressionSample.bitsPerByte($0) } == 0)
        let twoValues = (0..<4096).map { UInt8($0 % 2) }
        #expect(twoValues.withUnsafeBytes { CompressionSample.bitsPerByte($0) } == 1)
    }
}
