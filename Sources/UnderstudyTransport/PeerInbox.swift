import NIOConcurrencyHelpers
import NIOCore
import UnderstudyWire

/// The standby's side of a connection, read by a task of its own: notices (`changesPending`) are handed to
/// `onNotice` the moment they arrive — even while the connection is idle or in the middle of a sync — and
/// everything else waits in a short queue for the sync that reads it. The queue is bounded in messages and in
/// payload bytes (a file's chunks are up to a MiB each), so a fast primary is held back by TCP rather than by
/// memory. A reader held back by a full queue goes on once the sync has taken half of it, not at each message
/// taken: waking it for every message made each of them cost two thread switches while the standby was the slower
/// side (6 % of the standby's profile samples in a first sync of small files). Until then a notice waits behind the
/// queue like everything else (the sync that drains it is already running).
package final class PeerInbox: Sendable {
    private struct State {
        /// Taken messages become nil at once: a consumed chunk must not keep its buffer until the queue compacts.
        var queue: [PeerMessage?] = []
        var head = 0
        var end: Error?? = nil  // .some(nil): the peer closed; .some(error): reading failed
        var consumer: CheckedContinuation<PeerMessage?, Error>?
        var producer: CheckedContinuation<Void, Never>?
        /// Payload bytes of the queued messages.
        var bytes = 0
        var count: Int { queue.count - head }
        var isFull: Bool { count >= PeerInbox.capacity || bytes >= PeerInbox.byteCapacity }
        /// Low enough to let a held-back reader go on: half of each bound.
        var hasRoomAgain: Bool { count <= PeerInbox.capacity / 2 && bytes <= PeerInbox.byteCapacity / 2 }
    }

    static let capacity = 256
    /// 8 MiB: on a LAN, several milliseconds of transfer ahead of the writer; 256 chunks of a MiB each held the
    /// standby at 700 MiB while it wrote large files.
    static let byteCapacity = 8 << 20
    private let state = NIOLockedValueBox(State())

    /// The bytes a message holds beyond its header: what the queue's byte bound counts.
    static func weight(_ message: PeerMessage) -> Int {
        switch message {
        case .fileChunk(let data), .fileChunkStored(let data): data.readableBytes
        case .signatureChunk(_, let data): data.readableBytes
        default: 0
        }
    }

    /// Messages and payload bytes waiting for the sync (for tests and status).
    package var queued: (messages: Int, bytes: Int) { state.withLockedValue { ($0.count, $0.bytes) } }

    /// Whether the reader is held back until the queue has room again (for tests).
    package var holdsReaderBack: Bool { state.withLockedValue { $0.producer != nil } }

    package init() {}

    /// Reads `inbound` until it ends; run it in a task that lives as long as the connection.
    package func pump(
        _ inbound: NIOAsyncChannelInboundStream<PeerMessage>, onNotice: @Sendable (PeerMessage) async -> Void
    ) async {
        do {
            for try await message in inbound {
                if case .changesPending = message {
                    await onNotice(message)
                    continue
                }
                await push(message)
            }
            finish(nil)
        } catch {
            finish(error)
        }
    }

    package func next() async throws -> PeerMessage? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PeerMessage?, Error>) in
            let action: () -> Void = state.withLockedValue { state in
                if state.count > 0 {
                    let message = state.queue[state.head]!
                    state.queue[state.head] = nil
                    state.head += 1
                    state.bytes -= Self.weight(message)
                    if state.head > 1024 && state.head * 2 > state.queue.count {
                        state.queue.removeFirst(state.head)
                        state.head = 0
                    }
                    let producer = state.hasRoomAgain ? state.producer : nil
                    if producer != nil { state.producer = nil }
                    return {
                        producer?.resume()
                        continuation.resume(returning: message)
                    }
                }
                if let end = state.end {
                    return {
                        if let error = end {
                            continuation.resume(throwing: error)
                        } else {
                            continuation.resume(returning: nil)
                        }
                    }
                }
                state.consumer = continuation
                return {}
            }
            action()
        }
    }

    /// Ends the inbox from outside (the connection is being torn down): a waiting reader gets `error`.
    package func fail(_ error: Error) { finish(error) }

    /// Queues `message` for the sync; returns once the queue has room again.
    package func push(_ message: PeerMessage) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let action: () -> Void = state.withLockedValue { state in
                if let consumer = state.consumer {
                    state.consumer = nil
                    return {
                        consumer.resume(returning: message)
                        continuation.resume()
                    }
                }
                state.queue.append(message)
                state.bytes += Self.weight(message)
                if !state.isFull || state.end != nil { return { continuation.resume() } }
                state.producer = continuation
                return {}
            }
            action()
        }
    }

    private func finish(_ error: Error?) {
        let (consumer, producer): (CheckedContinuation<PeerMessage?, Error>?, CheckedContinuation<Void, Never>?) =
            state.withLockedValue { state in
                if state.end == nil { state.end = .some(error) }
                defer {
                    state.consumer = nil
                    state.producer = nil
                }
                return (state.consumer, state.producer)
            }
        if let error { consumer?.resume(throwing: error) } else { consumer?.resume(returning: nil) }
        producer?.resume()
    }
}
