import Crypto
import Dispatch
import UnderstudyDelta

/// The SHA-256 of a file's bytes as they stream through (and, on the standby, the block signature kept for large
/// files), computed beside the stream rather than in it when the file is large: a copy of each chunk goes to a queue
/// of its own, so hashing a large file overlaps reading, compressing, patching and writing it on the other core.
/// Small files are hashed inline: a hop to another thread costs more than hashing a few KiB.
///
/// Only the stream's owner calls it, one call at a time; `finish()` waits for everything handed over, so the result
/// is the digest of exactly the bytes given to `update`, in order.
public final class StreamDigest: @unchecked Sendable {
    /// Files at least this large are hashed beside the stream.
    public static let offloadMinimum: Int64 = 1 << 20
    /// Chunks handed over and not yet hashed, at most: bounds the copies in memory (chunks are up to a MiB).
    static let chunksInFlight = 8

    private var hasher = SHA256()
    private let signer: SignatureGenerator?
    private var signature: [UInt8] = []
    private var signatureFailed = false
    private let queue: DispatchQueue?
    private let slots = DispatchSemaphore(value: StreamDigest.chunksInFlight)
    /// The copies' buffers, reused in turn (the queue frees them in order): a fresh allocation per chunk costs page
    /// faults on every chunk. Touched only by the owner; a buffer is reused only after its chunk was hashed.
    private var buffers: [UnsafeMutableRawBufferPointer] = []
    private var nextBuffer = 0

    /// - Parameters:
    ///   - size: the bytes the stream is expected to carry (chooses inline or beside).
    ///   - signatureFor: the basis size to sign the bytes for (a kept signature), or nil for none.
    public init(size: Int64, signatureFor basisSize: Int64? = nil) {
        queue = size >= Self.offloadMinimum ? DispatchQueue(label: "understudy.digest") : nil
        signer = basisSize.flatMap { try? SignatureGenerator(basisSize: $0) }
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        guard let queue else {
            consume(bytes)
            return
        }
        slots.wait()
        let index = nextBuffer
        nextBuffer = (nextBuffer + 1) % Self.chunksInFlight
        if index == buffers.count {
            buffers.append(.allocate(byteCount: max(bytes.count, 256 * 1024), alignment: 64))
        } else if buffers[index].count < bytes.count {
            buffers[index].deallocate()
            buffers[index] = .allocate(byteCount: bytes.count, alignment: 64)
        }
        nonisolated(unsafe) let copy = UnsafeRawBufferPointer(
            UnsafeMutableRawBufferPointer(rebasing: buffers[index][..<bytes.count]))
        UnsafeMutableRawBufferPointer(mutating: copy).copyMemory(from: bytes)
        queue.async { [self] in
            consume(copy)
            slots.signal()
        }
    }

    deinit {
        // Every chunk handed over holds a reference to self, so none is left when this runs.
        for buffer in buffers { buffer.deallocate() }
    }

    /// The SHA-256 of everything given, and the signature when one was asked for and the bytes added up to its
    /// basis size (nil otherwise).
    public func finish() -> (hash: [UInt8], signature: [UInt8]?) {
        let finalize = { [self] () -> ([UInt8], [UInt8]?) in
            sign(UnsafeRawBufferPointer(start: nil, count: 0), isLast: true)
            let signed = signer != nil && signer!.isFinished && !signatureFailed
            return (Array(hasher.finalize()), signed ? signature : nil)
        }
        guard let queue else { return finalize() }
        return queue.sync(execute: finalize)
    }

    private func consume(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
        sign(bytes, isLast: false)
    }

    /// A signature that fails (more or fewer bytes than its basis size) is dropped, never the file: the hash judges
    /// the file.
    private func sign(_ bytes: UnsafeRawBufferPointer, isLast: Bool) {
        guard let signer, !signer.isFinished, !signatureFailed else { return }
        do {
            try signer.feed(bytes, isLast: isLast) { signature.append(contentsOf: $0) }
        } catch {
            signatureFailed = true
            signature = []
        }
    }
}
