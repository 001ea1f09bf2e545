/// The subscribers of a change feed (`ShareCapture`, `RelayJournal`): each holds a stream that yields, coalesced,
/// whenever the feed gains changes. Kept inside the feed's own locked state, so that a subscriber added while changes
/// wait is told at once.
struct FeedSubscribers {
    private var continuations: [Int: AsyncStream<Void>.Continuation] = [:]
    private var next = 0

    /// A new subscriber; its stream yields at once when changes already wait (`pending`).
    mutating func add(pending: Bool) -> (id: Int, stream: AsyncStream<Void>) {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        next += 1
        continuations[next] = continuation
        if pending { continuation.yield() }
        return (next, stream)
    }

    /// Removes one; the caller finishes the returned continuation outside the lock.
    mutating func remove(_ id: Int) -> AsyncStream<Void>.Continuation? {
        continuations.removeValue(forKey: id)
    }

    /// Removes them all (the feed stops); the caller finishes them outside the lock.
    mutating func removeAll() -> [AsyncStream<Void>.Continuation] {
        defer { continuations.removeAll() }
        return Array(continuations.values)
    }

    var all: [AsyncStream<Void>.Continuation] { Array(continuations.values) }
}
