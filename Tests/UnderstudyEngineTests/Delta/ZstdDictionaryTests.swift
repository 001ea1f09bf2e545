import Testing
import UnderstudyDelta

@Suite struct ZstdDictionaryTests {
    /// Small configuration-like files: a shared preamble, a few lines of their own.
    static func sample(_ index: Int) -> [UInt8] {
        var text = "# Managed by the example configuration tool. Local changes are overwritten on the next run.\n"
        text += "# See the site handbook, chapter \(index % 7), before editing by hand.\n[service]\n"
        for line in 0..<(6 + index % 9) {
            text += "option_\(line) = value-\(index * 31 + line)\nenabled_\(line % 3) = \(index % 2 == 0)\n"
        }
        return Array(text.utf8)
    }

    static func trained() throws -> ZstdDictionary {
        let samples = (0..<400).map(sample)
        return try ZstdDictionary.train(
            samples: samples.flatMap { $0 }, sizes: samples.map(\.count), capacity: 16 * 1024, level: 3)
    }

    static func compress(_ bytes: [UInt8], with dictionary: ZstdDictionary?) throws -> [UInt8] {
        let compressor = try ZstdCompressor(level: 3)
        try compressor.use(dictionary)
        var out: [UInt8] = []
        try bytes.withUnsafeBytes { try compressor.compress($0, mode: .end) { out.append(contentsOf: $0) } }
        return out
    }

    static func wire(_ dictionary: ZstdDictionary) throws -> [UInt8] {
        var wire: [UInt8] = []
        try dictionary.bytes.withUnsafeBytes {
            try ZstdCompressor(level: 19).compress($0, mode: .end) { wire.append(contentsOf: $0) }
        }
        return wire
    }

    @Test func smallFile_compressesSmaller_withATrainedDictionary_andDecodesWithTheSameOne() throws {
        let dictionary = try Self.trained()
        let file = Self.sample(1001)
        let plain = try Self.compress(file, with: nil)
        let small = try Self.compress(file, with: dictionary)
        #expect(small.count * 2 < plain.count, "\(small.count) with the dictionary, \(plain.count) without")

        let received = CompressionDictionaries()
        try Self.wire(dictionary).withUnsafeBytes { try received.add(id: dictionary.id, compressed: $0, share: "g/s") }
        let decompressor = try ZstdDecompressor()
        var decoded: [UInt8] = []
        try small.withUnsafeBytes { chunk in
            try received.prepare(decompressor, forFrameBeginning: chunk)
            try decompressor.decompress(chunk) { decoded.append(contentsOf: $0) }
        }
        #expect(decoded == file)
        // The same decompressor goes back to frames without a dictionary.
        decompressor.reset()
        decoded = []
        try plain.withUnsafeBytes { chunk in
            try received.prepare(decompressor, forFrameBeginning: chunk)
            try decompressor.decompress(chunk) { decoded.append(contentsOf: $0) }
        }
        #expect(decoded == file)
    }

    @Test func newDictionaryOfAShare_replacesItsOldOne() throws {
        let first = try Self.trained()
        let samples = (0..<400).map { Array("line \($0 * 7) of a log; level info; component \($0 % 5)\n".utf8) }
        let second = try ZstdDictionary.train(
            samples: samples.flatMap { $0 }, sizes: samples.map(\.count), capacity: 8 * 1024, level: 3)
        let received = CompressionDictionaries()
        try Self.wire(first).withUnsafeBytes { try received.add(id: first.id, compressed: $0, share: "g/s") }
        try Self.wire(second).withUnsafeBytes { try received.add(id: second.id, compressed: $0, share: "g/s") }
        #expect(received.dictionary(id: first.id) == nil)
        #expect(received.dictionary(id: second.id)?.id == second.id)
    }

    @Test func frameNamingADictionaryNeverReceived_failsToDecode_saying_which() throws {
        let dictionary = try Self.trained()
        let small = try Self.compress(Self.sample(5), with: dictionary)
        let error = #expect(throws: DeltaError.self) {
            try small.withUnsafeBytes {
                try CompressionDictionaries().prepare(try ZstdDecompressor(), forFrameBeginning: $0)
            }
        }
        #expect(error?.message.contains("dictionary \(dictionary.id)") == true)
    }

    @Test func dictionaryFromThePeer_isRefused_whenItsIdOrBytesAreWrong() throws {
        let dictionary = try Self.trained()
        let wire = try Self.wire(dictionary)
        let received = CompressionDictionaries()
        #expect(throws: DeltaError.self, "announced under another id") {
            try wire.withUnsafeBytes { try received.add(id: dictionary.id &+ 1, compressed: $0, share: "g/s") }
        }
        #expect(throws: DeltaError.self, "not zstd") {
            try [UInt8](repeating: 7, count: 100).withUnsafeBytes {
                try received.add(id: 9, compressed: $0, share: "g/s")
            }
        }
        #expect(throws: DeltaError.self, "cut short") {
            try Array(wire.prefix(wire.count / 2)).withUnsafeBytes {
                try received.add(id: dictionary.id, compressed: $0, share: "g/s")
            }
        }
        let notADictionary = try Self.compress(Array(repeating: 1, count: 5000), with: nil)
        #expect(throws: DeltaError.self, "plain data is no dictionary") {
            try notADictionary.withUnsafeBytes { try received.add(id: 1, compressed: $0, share: "g/s") }
        }
        #expect(received.dictionary(id: dictionary.id) == nil, "nothing kept")
    }

    @Test func training_isRefused_withSizesThatDoNotAddUp_orTooLittleToLearnFrom() throws {
        #expect(throws: DeltaError.self) {
            _ = try ZstdDictionary.train(samples: [1, 2, 3], sizes: [2], level: 3)
        }
        #expect(throws: DeltaError.self) {
            _ = try ZstdDictionary.train(samples: [1, 2, 3], sizes: [1, 1, 1], level: 3)
        }
    }
}
