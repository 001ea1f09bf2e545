#if canImport(Glibc)
import Glibc
#endif
import UnderstudyDelta
import UnderstudyFileSystem
import UnderstudyState

/// A zstd dictionary trained on a share's small files, for the slow link to the off-site node: each small file
/// travels as a frame of its own, too short to teach zstd much, and a dictionary of what such files have in common
/// makes them compress as if they came one after another. It is used only if it pays: `savings` is measured on small
/// files held out of the training, and below `minimumSavings` the share goes without (random or already compressed
/// data). Measured on real small files (2026-12-05, zstd 3): 10–42 % fewer bytes than without, up to 65 % on files
/// under 4 KiB.
package struct SmallFileDictionary: Sendable {
    /// Files up to this size are compressed with it when sent whole.
    package static let maximumFileSize: Int64 = 64 * 1024
    /// Files below this size are not worth a sample.
    package static let minimumSampleSize: Int64 = 256
    /// At most this many samples, and bytes of them, are read for training (about a second of CPU).
    package static let maximumSamples = 4000
    package static let maximumSampleBytes = 8 << 20
    /// zstd wants many samples; fewer than this and the share goes without.
    package static let minimumSamples = 100
    /// Fewer bytes saved than this (a fraction of the compressed size without it) and the share goes without.
    package static let minimumSavings = 0.10

    package let dictionary: ZstdDictionary
    /// The dictionary as it travels (`compressionDictionary`): compressed at zstd's highest level.
    package let wire: [UInt8]
    /// The fraction of bytes it saved on the held-out samples.
    package let savings: Double
    package let samples: Int

    package var id: UInt32 { dictionary.id }

    /// What a training gave: a dictionary that pays, or why there is none.
    package enum Training: Sendable {
        case trained(SmallFileDictionary)
        case doesNotPay(savings: Double, samples: Int)
        case tooFewSamples(Int)
    }

    /// The sizes of the files worth a sample.
    package static let sampleSizes = minimumSampleSize...maximumFileSize

    /// Trains on `candidates`, paths of small files (an even spread of the share's by path: `ShareIndex.samplePaths`),
    /// reading them from `share`; one in five is held out to measure the savings. Files that cannot be read are
    /// passed over.
    package static func train(share: ShareDirectory, candidates: [String], level: Int32) throws -> Training {
        var training: [UInt8] = []
        var sizes: [Int] = []
        var heldOut: [[UInt8]] = []
        var read = 0
        for path in candidates {
            guard read < maximumSampleBytes, sizes.count + heldOut.count < maximumSamples else { break }
            guard let content = readWhole(share, path) else { continue }
            read += content.count
            if (sizes.count + heldOut.count) % 5 == 4 {
                heldOut.append(content)
            } else {
                training += content
                sizes.append(content.count)
            }
        }
        guard sizes.count + heldOut.count >= minimumSamples else {
            return .tooFewSamples(sizes.count + heldOut.count)
        }
        let dictionary = try ZstdDictionary.train(samples: training, sizes: sizes, level: level)
        let without = try ZstdCompressor(level: level)
        let with = try ZstdCompressor(level: level)
        try with.use(dictionary)
        var plainBytes = 0
        var dictionaryBytes = 0
        for sample in heldOut {
            plainBytes += try compressedSize(sample, without)
            dictionaryBytes += try compressedSize(sample, with)
        }
        let savings = plainBytes == 0 ? 0 : 1 - Double(dictionaryBytes) / Double(plainBytes)
        guard savings >= minimumSavings else {
            return .doesNotPay(savings: savings, samples: sizes.count + heldOut.count)
        }
        var wire: [UInt8] = []
        try dictionary.bytes.withUnsafeBytes { bytes in
            try ZstdCompressor(level: 19).compress(bytes, mode: .end) { wire.append(contentsOf: $0) }
        }
        return .trained(
            SmallFileDictionary(
                dictionary: dictionary, wire: wire, savings: savings, samples: sizes.count + heldOut.count))
    }

    private static func compressedSize(_ sample: [UInt8], _ compressor: ZstdCompressor) throws -> Int {
        compressor.reset()
        var size = 0
        try sample.withUnsafeBytes { bytes in try compressor.compress(bytes, mode: .end) { size += $0.count } }
        return size
    }

    private static func readWhole(_ share: ShareDirectory, _ path: String) -> [UInt8]? {
        guard let fd = try? share.openFileForReading(path) else { return nil }
        defer { close(fd) }
        var content = [UInt8](repeating: 0, count: Int(maximumFileSize) + 1)
        var total = 0
        while total < content.count {
            let count = content.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, $0.count - total) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            total += count
        }
        guard total > 0, total <= Int(maximumFileSize) else { return nil }
        return Array(content.prefix(total))
    }
}
