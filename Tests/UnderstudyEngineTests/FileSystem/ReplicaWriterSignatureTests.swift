#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import Testing
import UnderstudyCore
import UnderstudyDelta
import UnderstudyState
@testable import UnderstudyNode
@testable import UnderstudyFileSystem

/// A large file received by the standby gets its block signature made as it is written, keyed by its stat in
/// place; a later delta's signature comes from it while the file is that version, and from the file otherwise.
struct ReplicaWriterSignatureTests {
    let attributes = FileAttributes(mode: 0o640, uid: 0, gid: 0, mtimeSeconds: 1_600_000_000, mtimeNanoseconds: 42)

    func receive(_ content: [UInt8], as path: String, into writer: ReplicaWriter) throws {
        let file = try writer.beginFile(
            .init(path: path, size: Int64(content.count), attributes: attributes, basis: .none))
        let compressor = try ZstdCompressor(level: 1)
        try content.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let piece = UnsafeRawBufferPointer(rebasing: all[offset..<min(all.count, offset + 300_007)])
                offset += piece.count
                var compressed: [UInt8] = []
                try compressor.compress(piece, mode: offset == all.count ? .end : .flush) {
                    compressed.append(contentsOf: $0)
                }
                try compressed.withUnsafeBytes { try file.receive($0, compressed: true) }
            }
        }
        try writer.commit(file, expectedHash: Array(SHA256.hash(data: content)))
    }

    static func signature(of content: [UInt8]) throws -> [UInt8] {
        let generator = try SignatureGenerator(basisSize: Int64(content.count))
        var signature: [UInt8] = []
        try content.withUnsafeBytes { try generator.feed($0, isLast: true) { signature.append(contentsOf: $0) } }
        return signature
    }

    @Test func aLargeFile_isSignedAsWritten_andTheSignatureServesWhileTheFileIsThatVersion() throws {
        let root = TestTree.makeTemporaryDirectory("writer-signature")
        defer { TestTree.remove(root) }
        var options = ReplicaWriter.Options(applyOwnership: false)
        options.signatureMinimum = 1 << 20
        let writer = try ReplicaWriter(share: try ShareDirectory(path: root, create: false), options: options)
        let large = [UInt8]((0..<(3 << 20) + 123).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
        try receive(large, as: "large.bin", into: writer)
        try receive([UInt8](repeating: 9, count: 4096), as: "small.bin", into: writer)
        try writer.makeDurable()

        let kept = writer.takeSignatures()
        #expect(kept.map(\.file.path) == ["large.bin"], "only files of at least the minimum are signed")
        #expect(kept.first?.signature == (try Self.signature(of: large)))
        #expect(writer.takeSignatures().isEmpty)

        // Asked for a delta's basis: the kept signature, without reading the file.
        var asked: [FileIndexRecord] = []
        var served: [UInt8] = []
        let fromKept = try writer.signature(
            of: "large.bin", basis: .replica,
            cached: { file in
                asked.append(file)
                return kept.first.flatMap { $0.describes(file) ? $0.signature : nil }
            },
            emit: { served.append(contentsOf: $0) })
        #expect(fromKept)
        #expect(served == kept.first?.signature)

        // The file changed behind our back (same size, time set back): its ctime differs, so it is read again.
        var changed = large
        changed[1000] ^= 0xFF
        try Data(changed).write(to: URL(fileURLWithPath: root + "/large.bin"))
        TestTree.setTime(root, "large.bin", seconds: 1_600_000_000, nanoseconds: 42)
        served = []
        let secondFromKept = try writer.signature(
            of: "large.bin", basis: .replica,
            cached: { file in kept.first.flatMap { $0.describes(file) ? $0.signature : nil } },
            emit: { served.append(contentsOf: $0) })
        #expect(!secondFromKept)
        #expect(served == (try Self.signature(of: changed)))
    }
}
