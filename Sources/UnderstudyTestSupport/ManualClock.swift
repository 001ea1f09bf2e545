import Foundation
import UnderstudySupport

/// Time that moves only when told to (`advance(by:)`): for tests of parts that wait, and for replaying what
/// happened at known instants. Both readings move together; sleepers wake, in order of their deadlines, when time
/// reaches them, and at once when their task is cancelled.
public final class ManualClock: EngineClock, @unchecked Sendable {
    private struct Sleeper {
        let id: Int
        let wake: Double
        let continuation: CheckedContinuation<Void, Error>
    }

    private let lock = NSLock()
    private var time: Double
    private let monotonicOrigin: Double
    private var sleepers: [Sleeper] = []
    private var cancelled: Set<Int> = []
    private var nextID = 0
    private var requested: [Double] = []

    /// - Parameter now: the wall-clock time to start at, in seconds since 1970.
    public init(now: Double, monotonicOrigin: Double = 1_000) {
        time = now
        self.monotonicOrigin = monotonicOrigin - now
    }

    /// The wall-clock time in seconds since 1970.
    public var now: Double { lock.withLock { time } }
    /// Every sleep asked for so far, in seconds.
    public var sleeps: [Double] { lock.withLock { requested } }
    /// Sleepers not yet woken.
    public var sleeping: Int { lock.withLock { sleepers.count } }

    public func monotonicSeconds() -> Double { lock.withLock { time + monotonicOrigin } }

    public func wallTime() -> Date { Date(timeIntervalSince1970: now) }

    public func sleep(seconds: Double) async throws {
        let id = lock.withLock {
            nextID += 1
            requested.append(seconds)
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                lock.withLock {
                    if cancelled.remove(id) != nil {
                        continuation.resume(throwing: CancellationError())
                    } else if seconds <= 0 {
                        continuation.resume()
                    } else {
                        sleepers.append(Sleeper(id: id, wake: time + seconds, continuation: continuation))
                    }
                }
            }
        } onCancel: {
            lock.withLock {
                if let index = sleepers.firstIndex(where: { $0.id == id }) {
                    sleepers.remove(at: index).continuation.resume(throwing: CancellationError())
                } else {
                    cancelled.insert(id)
                }
            }
        }
    }

    /// Moves time on and wakes the sleepers that are due, earliest first.
    public func advance(by seconds: Double) {
        let due: [Sleeper] = lock.withLock {
            time += max(0, seconds)
            let due = sleepers.filter { $0.wake <= time }.sorted { $0.wake < $1.wake }
            sleepers.removeAll { $0.wake <= time }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}
