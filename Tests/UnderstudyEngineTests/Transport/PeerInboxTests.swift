import NIOCore
import Testing
import UnderstudyWire

@testable import UnderstudyTransport

/// The standby's inbox holds a fast primary back by payload bytes as well as by messages, lets it go on once half of
/// the queue is taken, and lets go of each chunk's buffer as soon as the sync has taken it.
struct PeerInboxTests {
    static func chunk(_ megabytes: Int = 1) -> PeerMessage {
        .fileChunk(ByteBuffer(repeating: 7, count: megabytes << 20))
    }

    @Test func aProducerOfMegabyteChunks_waitsOnceEightMegabytesAreQueued() async throws {
        let inbox = PeerInbox()
        let producer = Task {
            for _ in 0..<20 { await inbox.push(Self.chunk()) }
        }
        defer { producer.cancel() }
        // Bounded wait: the producer fills the queue to the byte bound, then blocks.
        for _ in 0..<200 where inbox.queued.messages < 8 { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(inbox.queued.messages == 8)
        #expect(inbox.queued.bytes == 8 << 20)
        // Taking one does not wake the producer: it goes on once half of the queue is taken, and fills it again.
        #expect(inbox.holdsReaderBack)
        _ = try await inbox.next()
        #expect(inbox.holdsReaderBack)
        try await Task.sleep(for: .milliseconds(100))
        #expect(inbox.queued.messages == 7)
        for _ in 0..<2 { _ = try await inbox.next() }
        #expect(inbox.holdsReaderBack, "three taken of eight: still over half")
        _ = try await inbox.next()
        for _ in 0..<200 where inbox.queued.bytes < 8 << 20 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(inbox.queued.messages == 8)
        for _ in 0..<16 { _ = try await inbox.next() }
        await producer.value
        #expect(inbox.queued.messages == 0 && inbox.queued.bytes == 0)
    }

    @Test func smallMessages_areBoundedByCount() async throws {
        let inbox = PeerInbox()
        let producer = Task {
            for _ in 0..<(PeerInbox.capacity + 10) { await inbox.push(.fileEnd(contentHash: [1])) }
        }
        defer { producer.cancel() }
        for _ in 0..<200 where inbox.queued.messages < PeerInbox.capacity {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(inbox.queued.messages == PeerInbox.capacity)
        for _ in 0..<(PeerInbox.capacity + 10) { _ = try await inbox.next() }
        await producer.value
    }

    @Test func aTakenChunk_isNoLongerHeldByTheInbox() async throws {
        let inbox = PeerInbox()
        var data = ByteBuffer(repeating: 1, count: 4096)
        await inbox.push(.fileChunk(data))
        await inbox.push(.fileEnd(contentHash: [1]))
        guard case .fileChunk(let taken)? = try await inbox.next() else {
            Issue.record("expected the chunk")
            return
        }
        #expect(taken == data)
        // Only `data` and `taken` share the storage now: writing to `data` does not copy it if the inbox let go.
        let before = data.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        _ = consume taken
        data.setInteger(UInt8(2), at: 0)
        let after = data.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(before == after, "the inbox still held the chunk's storage (a copy on write followed)")
    }
}
