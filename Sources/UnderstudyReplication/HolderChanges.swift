import NIOConcurrencyHelpers
import UnderstudyCore

/// A change of the node that holds a group, as this node stored it.
public struct HolderChange: Sendable, Equatable {
    public var group: String
    public var ownership: GroupOwnership

    public init(group: String, ownership: GroupOwnership) {
        self.group = group
        self.ownership = ownership
    }
}

/// Every change of a group's holder, handed to each part that subscribed, in the order they were stored. A part
/// subscribes before it starts (a change is never lost between the two) and reads its own stream for as long as
/// it runs; a stream whose reader is gone is dropped. Nothing here waits for a reader: a takeover publishes and
/// goes on.
public final class HolderChanges: Sendable {
    private struct Subscribers {
        var next = 0
        var streams: [Int: AsyncStream<HolderChange>.Continuation] = [:]
    }

    private let subscribers = NIOLockedValueBox(Subscribers())

    public init() {}

    /// A stream of the changes published from now on; it ends when the reading task is cancelled.
    public func subscribe() -> AsyncStream<HolderChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: HolderChange.self)
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

    func publish(_ change: HolderChange) {
        let streams = subscribers.withLockedValue { Array($0.streams.values) }
        for stream in streams { stream.yield(change) }
    }

    /// How many streams are open.
    var subscriberCount: Int { subscribers.withLockedValue { $0.streams.count } }
}
