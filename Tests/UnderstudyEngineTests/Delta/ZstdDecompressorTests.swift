import Testing
import UnderstudyDelta
import UnderstudyNode

@Suite struct ZstdDecompressorTests {
    @Test func refuses_garbage() throws {
        let decompressor = try ZstdDecompressor()
        let error = expectDeltaError(.corruptCompressedData) {
            _ = try decompressor.decompressAll(DeltaTestBytes.bytes(seed: 41, count: 4096))
        }
        #expect(error?.message.contains("zstd") == true)
        expectDeltaError(.unusableAfterFailure) { _ = try decompressor.decompressAll([]) }
    }

    @Test(arguments: [0.25, 0.5, 0.75])
    func detects_flippedByte(at fraction: Double) throws {
        // Random data is stored in raw blocks: only the frame checksum can
        // notice a flipped byte there.
        for data in [DeltaTestBytes.bytes(seed: 42, count: 500_000), deltaCompressibleBytes(500_000, seed: 42)] {
            var compressed = try ZstdCompressor().compressAll(data, mode: .end)
            compressed[Int(Double(compressed.count) * fraction)] ^= 0x10
            expectDeltaError(.corruptCompressedData) { _ = try ZstdDecompressor().decompressAll(compressed) }
        }
    }

    @Test func truncatedStream_isNotFrameComplete() throws {
        let compressed = try ZstdCompressor().compressAll(deltaCompressibleBytes(100_000, seed: 43), mode: .end)
        let decompressor = try ZstdDecompressor()
        _ = try decompressor.decompressAll(Array(compressed.dropLast(3)))
        #expect(!decompressor.isFrameComplete)
        _ = try decompressor.decompressAll(Array(compressed.suffix(3)))
        #expect(decompressor.isFrameComplete)
    }

    @Test func decodes_oneByteAtATime() throws {
        let data = deltaCompressibleBytes(50_000, seed: 44)
        let compressed = try ZstdCompressor().compressAll(data, mode: .end)
        let decompressor = try ZstdDecompressor()
        var out: [UInt8] = []
        for byte in compressed {
            out += try decompressor.decompressAll([byte])
        }
        #expect(out == data)
        #expect(decompressor.isFrameComplete)
    }

    @Test(arguments: [128 * 1024, 256 * 1024, 512 * 1024])
    func frameEndingExactlyAtOutputBufferEnd_isFrameComplete(size: Int) throws {
        // Sizes that are multiples of the decoder's output buffer make the
        // last decode call produce and consume nothing.
        for data in [deltaCompressibleBytes(size, seed: 45), DeltaTestBytes.bytes(seed: 45, count: size)] {
            let decompressor = try ZstdDecompressor()
            #expect(try decompressor.decompressAll(ZstdCompressor().compressAll(data, mode: .end)) == data)
            #expect(decompressor.isFrameComplete)
        }
    }

    @Test func nothingReceived_isNotFrameComplete() throws {
        let decompressor = try ZstdDecompressor()
        _ = try decompressor.decompressAll([])
        #expect(!decompressor.isFrameComplete)
    }
}
