import Testing
import UnderstudyDelta
import UnderstudyNode

/// Text-like bytes that compress well but not trivially.
func deltaCompressibleBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var random = DeltaTestBytes(seed: seed)
    let words = (0..<64).map { _ in random.bytes(Int(random.next() % 9) + 2) }
    var result: [UInt8] = []
    result.reserveCapacity(count + 16)
    while result.count < count {
        result.append(contentsOf: words[Int(random.next() % 64)])
        result.append(0x20)
    }
    return Array(result.prefix(count))
}

extension ZstdCompressor {
    func compressAll(_ bytes: [UInt8], mode: Mode) throws -> [UInt8] {
        var out: [UInt8] = []
        try bytes.withUnsafeBytes { try compress($0, mode: mode) { out.append(contentsOf: $0) } }
        return out
    }
}

extension ZstdDecompressor {
    func decompressAll(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        try bytes.withUnsafeBytes { try decompress($0) { out.append(contentsOf: $0) } }
        return out
    }
}

@Suite struct ZstdCompressorTests {
    @Test(arguments: [Int32(1), 3])
    func flushedChunks_decodeExactlyTheBytesSoFar(level: Int32) throws {
        let compressor = try ZstdCompressor(level: level)
        let decompressor = try ZstdDecompressor()
        let data = deltaCompressibleBytes(3 << 20, seed: UInt64(level))
        var sent = 0
        var received: [UInt8] = []
        var compressedTotal = 0
        // Odd chunk sizes, including one larger than the output buffer.
        for size in [1, 1000, 65_539, 700_000, 7, 1 << 20] where sent < data.count {
            let chunk = Array(data[sent..<min(sent + size, data.count)])
            sent += chunk.count
            let compressed = try compressor.compressAll(chunk, mode: .flush)
            compressedTotal += compressed.count
            received += try decompressor.decompressAll(compressed)
            #expect(received == Array(data[..<sent]))
            #expect(!decompressor.isFrameComplete)
        }
        let rest = Array(data[sent...])
        let final = try compressor.compressAll(rest, mode: .end)
        compressedTotal += final.count
        received += try decompressor.decompressAll(final)
        #expect(received == data)
        #expect(decompressor.isFrameComplete)
        #expect(compressedTotal < data.count / 2)
    }

    @Test func continueMode_mayHoldBack_untilEnd() throws {
        let compressor = try ZstdCompressor()
        let data = deltaCompressibleBytes(10_000, seed: 5)
        let early = try compressor.compressAll(data, mode: .continue)
        let late = try compressor.compressAll([], mode: .end)
        #expect(try ZstdDecompressor().decompressAll(early + late) == data)
    }

    @Test(arguments: [Int32(1), 3])
    func incompressibleData_growsOnlySlightly(level: Int32) throws {
        let data = DeltaTestBytes.bytes(seed: 31, count: 4 << 20)
        let compressor = try ZstdCompressor(level: level)
        var compressed: [UInt8] = []
        for start in stride(from: 0, to: data.count, by: 300_000) {
            let chunk = Array(data[start..<min(start + 300_000, data.count)])
            let isLast = start + 300_000 >= data.count
            compressed += try compressor.compressAll(chunk, mode: isLast ? .end : .flush)
        }
        #expect(compressed.count <= data.count + data.count / 1000 + 64, "\(compressed.count) bytes")
        #expect(try ZstdDecompressor().decompressAll(compressed) == data)
    }

    @Test func endsFrame_thenStartsANewOne() throws {
        let compressor = try ZstdCompressor()
        let first = deltaCompressibleBytes(5000, seed: 1)
        let second = deltaCompressibleBytes(7000, seed: 2)
        let stream = try compressor.compressAll(first, mode: .end) + compressor.compressAll(second, mode: .end)
        let decompressor = try ZstdDecompressor()
        #expect(try decompressor.decompressAll(stream) == first + second)
        #expect(decompressor.isFrameComplete)
    }

    @Test(arguments: [Int32(-200_000), 23])
    func refuses_levelOutOfRange(level: Int32) {
        expectDeltaError(.invalidArgument) { _ = try ZstdCompressor(level: level) }
    }

    @Test func outputConsumerError_propagates_andLeavesCompressorUnusable() throws {
        struct ConsumerFailed: Error {}
        let compressor = try ZstdCompressor()
        let data = deltaCompressibleBytes(1000, seed: 3)
        #expect(throws: ConsumerFailed.self) {
            try data.withUnsafeBytes { try compressor.compress($0, mode: .end) { _ in throw ConsumerFailed() } }
        }
        let error = expectDeltaError(.unusableAfterFailure) { _ = try compressor.compressAll(data, mode: .end) }
        #expect((error?.cause as? DeltaError)?.code == .outputConsumerFailed)
    }
}
