import Foundation

/// Where the engine reads the time. Two readings, since they answer different questions: the monotonic clock
/// measures durations, deadlines and liveness (a step of the wall clock by NTP or an administrator must not make a
/// peer look silent or a timeout expire early); the wall clock stamps what is recorded and what people read
/// (events, archive names, history, conflicts). A part that waits sleeps on the same clock, so a test can move
/// time on with `ManualClock` instead of waiting for it.
public protocol EngineClock: Sendable {
    /// Seconds on a monotonic clock (its origin means nothing; differences do).
    func monotonicSeconds() -> Double
    /// The current wall-clock time.
    func wallTime() -> Date
    /// Returns after `seconds` of this clock, or throws `CancellationError` when the task is cancelled first.
    func sleep(seconds: Double) async throws
}

extension EngineClock {
    /// The wall-clock time in seconds since 1970.
    public func wallSeconds() -> Double { wallTime().timeIntervalSince1970 }
}

/// The machine's clocks: `CLOCK_MONOTONIC` and the system time.
public struct SystemClock: EngineClock {
    public init() {}

    public func monotonicSeconds() -> Double { MonotonicClock.seconds() }

    public func wallTime() -> Date { Date() }

    public func sleep(seconds: Double) async throws {
        try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1_000_000_000))
    }
}
