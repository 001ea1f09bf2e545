import Foundation
import Testing
import UnderstudyDelta
import UnderstudyNode

/// Deterministic bytes (SplitMix64), fast enough in debug builds; also a seeded generator for `random(using:)`.
struct DeltaTestBytes: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func bytes(seed: UInt64, count: Int) -> [UInt8] {
        var random = DeltaTestBytes(seed: seed)
        return random.bytes(count)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        fill(&result)
        return result
    }

    mutating func fill(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { raw in
            fill(UnsafeMutableRawBufferPointer(raw))
        }
    }

    mutating func fill(_ raw: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset + 8 <= raw.count {
            raw.storeBytes(of: next(), toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        var tail = next()
        while offset < raw.count {
            raw[offset] = UInt8(truncatingIfNeeded: tail)
            tail >>= 8
            offset += 1
        }
    }
}

/// How input is cut into feed calls; sizes are used in turn, cyclically.
struct DeltaChunkPlan: CustomStringConvertible, Sendable {
    let sizes: [Int]

    static let whole = DeltaChunkPlan(sizes: [Int.max])
    static let singleBytes = DeltaChunkPlan(sizes: [1])
    static let sevenBytes = DeltaChunkPlan(sizes: [7])
    static let oddLarge = DeltaChunkPlan(sizes: [64 * 1024 + 3])
    static let mixed = DeltaChunkPlan(sizes: [1, 7, 64 * 1024 + 3])

    var description: String { sizes == [Int.max] ? "whole" : sizes.map(String.init).joined(separator: "/") }

    /// Calls `body` with successive pieces of `data`; the last call has
    /// `isLast` set (one empty call for empty data).
    func feed(_ data: [UInt8], _ body: (UnsafeRawBufferPointer, Bool) throws -> Void) rethrows {
        try data.withUnsafeBytes { all in
            if all.isEmpty {
                try body(all, true)
                return
            }
            var offset = 0
            var turn = 0
            while offset < all.count {
                let size = min(sizes[turn % sizes.count], all.count - offset)
                turn += 1
                let piece = UnsafeRawBufferPointer(rebasing: all[offset..<offset + size])
                offset += size
                try body(piece, offset == all.count)
            }
        }
    }
}

enum DeltaPipeline {
    static func signature(of basis: [UInt8], plan: DeltaChunkPlan = .whole) throws -> [UInt8] {
        let generator = try SignatureGenerator(basisSize: Int64(basis.count))
        var signature: [UInt8] = []
        try plan.feed(basis) { piece, isLast in
            try generator.feed(piece, isLast: isLast) { signature.append(contentsOf: $0) }
        }
        #expect(generator.isFinished)
        return signature
    }

    static func delta(signature: [UInt8], newFile: [UInt8], plan: DeltaChunkPlan = .whole) throws -> [UInt8] {
        let generator = try DeltaGenerator(signature: signature)
        var delta: [UInt8] = []
        try plan.feed(newFile) { piece, isLast in
            try generator.feed(piece, isLast: isLast) { delta.append(contentsOf: $0) }
        }
        #expect(generator.isFinished)
        return delta
    }

    static func patch(basisDescriptor: Int32, delta: [UInt8], plan: DeltaChunkPlan = .whole) throws -> [UInt8] {
        let applier = try PatchApplier(basisDescriptor: basisDescriptor)
        var result: [UInt8] = []
        try plan.feed(delta) { piece, isLast in
            try applier.feed(piece, isLast: isLast) { result.append(contentsOf: $0) }
        }
        #expect(applier.isFinished)
        return result
    }
}

/// A file in the temporary directory holding `contents`, open read-only for
/// the duration of `body`, removed afterwards.
@discardableResult
func withDeltaTestFile<T>(
    containing contents: [UInt8],
    _ body: (Int32) throws -> T
) throws -> T {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("delta-test-\(UUID().uuidString)").path
    defer { unlink(path) }
    guard FileManager.default.createFile(atPath: path, contents: Data(contents)) else {
        throw DeltaTestFileError(path: path)
    }
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
        throw DeltaTestFileError(path: path)
    }
    defer { close(descriptor) }
    return try body(descriptor)
}

struct DeltaTestFileError: Error {
    let path: String
}

/// Expects `body` to throw a DeltaError with `code`; returns it for more checks.
@discardableResult
func expectDeltaError(
    _ code: DeltaError.Code,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> DeltaError? {
    do {
        try body()
        Issue.record("expected DeltaError.\(code), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as DeltaError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected DeltaError.\(code), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
