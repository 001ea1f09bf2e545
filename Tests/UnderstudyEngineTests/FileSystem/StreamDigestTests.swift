import Crypto
import Testing
import UnderstudyDelta
@testable import UnderstudyFileSystem

/// A stream's SHA-256 (and kept signature) is the same whether a small file is hashed inline or a large one beside
/// the stream on a queue of its own, whatever the chunks.
struct StreamDigestTests {
    static func signature(of bytes: [UInt8]) throws -> [UInt8] {
        let generator = try SignatureGenerator(basisSize: Int64(bytes.count))
        var signature: [UInt8] = []
        try bytes.withUnsafeBytes { try generator.feed($0, isLast: true) { signature.append(contentsOf: $0) } }
        return signature
    }

    @Test(arguments: [10_000, 3 << 20])
    func theDigest_isTheHashAndSignatureOfTheBytes_inlineOrBeside(size: Int) throws {
        let bytes = DeltaTestBytes.bytes(seed: UInt64(size), count: size)
        let digest = StreamDigest(size: Int64(size), signatureFor: Int64(size))
        bytes.withUnsafeBytes { all in
            var offset = 0
            var turn = 0
            while offset < all.count {
                let length = min(all.count - offset, [1, 4093, 262_144, 1 << 20][turn % 4])
                digest.update(UnsafeRawBufferPointer(rebasing: all[offset..<offset + length]))
                offset += length
                turn += 1
            }
        }
        let (hash, signature) = digest.finish()
        #expect(hash == Array(SHA256.hash(data: bytes)))
        #expect(signature == (try Self.signature(of: bytes)))
    }

    @Test func aStreamShorterThanTheSignaturesBasis_givesItsHash_andNoSignature() {
        let bytes = DeltaTestBytes.bytes(seed: 3, count: 2 << 20)
        let digest = StreamDigest(size: 3 << 20, signatureFor: 3 << 20)
        bytes.withUnsafeBytes { digest.update($0) }
        let (hash, signature) = digest.finish()
        #expect(hash == Array(SHA256.hash(data: bytes)))
        #expect(signature == nil)
    }
}
