import Testing
import UnderstudyDelta

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

    @Test func shortChunks_areCompressedWithoutASample() throws {
        let sample = try CompressionSample()
        let random = TestTree.randomBytes(CompressionSample.minimumChunk - 1, seed: 15)
        #expect(random.withUnsafeBytes { sample.compresses($0) })
        #expect([UInt8]().withUnsafeBytes { sample.compresses($0) })
    }
}
