import NIOConcurrencyHelpers

/// News of the node (a change of a group's holder, what a peer said, a conflict kept), handed to each part that
/// subscribed, in the order it was published. A part subscribes before it starts (nothing is lost between the
/// two) and reads its own stream for as long as it runs; a stream whose reader is gone is dropped. Nothing here
/// waits for a reader: a takeover publishes and goes on.
public final class Broadcast<Element: Sendable>: Sendable {
    private struct Subscribers {
        var next = 0
        var streams: [Int: AsyncStream<Element>.Continuation] = [:]
    }

    private let subscribers = NIOLockedValueBox(Subscribers())

    public init() {}

    /// A stream of what is published from now on; it ends when the reading task is cancelled.
    public func subscribe() -> AsyncStream<Element> {
        let (stream, continuation) = AsyncStream.makeStream(of: Element.self)
        let id = subscribers.withLockedValue { state -> Int in
            state.next += 1
            state.streams[state.next] = continuation
            return state.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLockedValue { $0.streams.removeValue(forKey: id) }
        }
        return stream
    }

    package func publish(_ element: Element) {
        let streams = subscribers.withLockedValue { Array($0.streams.values) }
        for stream in streams { stream.yield(element) }
    }

    /// How many streams are open.
    var subscriberCount: Int { subscribers.withLockedValue { $0.streams.count } }
}
