import Foundation
import Testing
import UnderstudyDelta
import UnderstudyNode

@Suite struct PatchApplierTests {
    static let basis = DeltaTestBytes.bytes(seed: 21, count: 256 * 1024)

    static func changed() -> [UInt8] {
        var newFile = basis
        newFile.replaceSubrange(10_000..<10_010, with: [UInt8](repeating: 0xAB, count: 50))
        return newFile + [1, 2, 3]
    }

    static func delta(to newFile: [UInt8] = changed()) throws -> [UInt8] {
        try DeltaPipeline.delta(signature: DeltaPipeline.signature(of: basis), newFile: newFile)
    }

    @Test func readsBasisByOffset_fromRealFile_withoutMovingItsPosition() throws {
        let delta = try Self.delta()
        try withDeltaTestFile(containing: Self.basis) { descriptor in
            #expect(lseek(descriptor, 1234, SEEK_SET) == 1234)
            let patched = try DeltaPipeline.patch(basisDescriptor: descriptor, delta: delta, plan: .mixed)
            #expect(patched == Self.changed())
            #expect(lseek(descriptor, 0, SEEK_CUR) == 1234)
        }
    }

    @Test func appliesDelta_largerThanOutputBuffer() throws {
        // One COPY bigger than the 256 KiB output buffer plus a big literal.
        let newFile = Self.basis + Self.basis + DeltaTestBytes.bytes(seed: 22, count: 600 * 1024)
        let delta = try Self.delta(to: newFile)
        let patched = try withDeltaTestFile(containing: Self.basis) {
            try DeltaPipeline.patch(basisDescriptor: $0, delta: delta)
        }
        #expect(patched == newFile)
    }

    @Test func refuses_deltaWithBadMagic() throws {
        var delta = try Self.delta()
        delta[0] ^= 0xFF
        let error = try withDeltaTestFile(containing: Self.basis) { descriptor in
            expectDeltaError(.corruptDelta) { _ = try DeltaPipeline.patch(basisDescriptor: descriptor, delta: delta) }
        }
        #expect(error?.message.contains("RS_BAD_MAGIC") == true, "\(String(describing: error))")
    }

    @Test func refuses_reservedCommandByte() throws {
        let delta: [UInt8] = [0x72, 0x73, 0x02, 0x36, 0x55, 0, 0, 0, 0]
        let error = try withDeltaTestFile(containing: Self.basis) { descriptor in
            expectDeltaError(.corruptDelta) { _ = try DeltaPipeline.patch(basisDescriptor: descriptor, delta: delta) }
        }
        #expect(error?.message.contains("RS_CORRUPT") == true, "\(String(describing: error))")
    }

    @Test(arguments: [1, 3, 10])
    func refuses_truncatedDelta(cut: Int) throws {
        let delta = try Self.delta()
        try withDeltaTestFile(containing: Self.basis) { descriptor in
            expectDeltaError(.corruptDelta) {
                _ = try DeltaPipeline.patch(
                    basisDescriptor: descriptor, delta: Array(delta.dropLast(cut)), plan: .oddLarge)
            }
        }
    }

    @Test(arguments: [DeltaChunkPlan.whole, .sevenBytes])
    func refuses_dataAfterEnd(plan: DeltaChunkPlan) throws {
        let delta = try Self.delta() + [0x00]
        try withDeltaTestFile(containing: Self.basis) { descriptor in
            expectDeltaError(.corruptDelta) {
                _ = try DeltaPipeline.patch(basisDescriptor: descriptor, delta: delta, plan: plan)
            }
        }
    }

    @Test func refuses_basisShorterThanTheDeltaExpects() throws {
        let delta = try Self.delta()
        let error = try withDeltaTestFile(containing: Array(Self.basis.prefix(50_000))) { descriptor in
            expectDeltaError(.basisTooShort) { _ = try DeltaPipeline.patch(basisDescriptor: descriptor, delta: delta) }
        }
        #expect(error?.message.contains("another version") == true)
    }

    @Test func reportsBasisReadFailure_withErrno() throws {
        let delta = try Self.delta()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("delta-wo-\(UUID().uuidString)").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        try #require(descriptor >= 0)
        defer {
            close(descriptor)
            unlink(path)
        }
        let error = expectDeltaError(.basisReadFailed) {
            _ = try DeltaPipeline.patch(basisDescriptor: descriptor, delta: delta)
        }
        #expect((error?.cause as? DeltaError.SystemCallError)?.errno == EBADF)
    }

    @Test func refuses_negativeDescriptor() {
        expectDeltaError(.invalidArgument) { _ = try PatchApplier(basisDescriptor: -1) }
    }

    @Test func staysUnusable_afterCorruptDelta() throws {
        let bad: [UInt8] = [0, 0, 0, 0, 0]
        try withDeltaTestFile(containing: Self.basis) { descriptor in
            let applier = try PatchApplier(basisDescriptor: descriptor)
            expectDeltaError(.corruptDelta) { try bad.withUnsafeBytes { try applier.feed($0, isLast: false) { _ in } } }
            let good = try Self.delta()
            expectDeltaError(.unusableAfterFailure) {
                try good.withUnsafeBytes { try applier.feed($0, isLast: true) { _ in } }
            }
        }
    }
}
