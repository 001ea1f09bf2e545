#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import UnderstudyCore

/// Holds a group's sending to its `bandwidth` limit, whichever window of its schedule is in force (local time).
/// Paced per write to the connection, so a limit of a few MB/s gives an even stream, not bursts. A reload sets a new
/// limit (`setLimit`), taken by the next write; an unlimited one costs a lock per write.
package final class BandwidthThrottle: Sendable {
    private let current: NIOLockedValueBox<BandwidthLimit>
    private let bucket = NIOLockedValueBox(TokenBucket())
    private let now: @Sendable () -> Double

    package init(limit: BandwidthLimit, now: @escaping @Sendable () -> Double) {
        current = NIOLockedValueBox(limit)
        self.now = now
    }

    /// The limit in force from the next write on.
    package var limit: BandwidthLimit { current.withLockedValue { $0 } }

    package func setLimit(_ limit: BandwidthLimit) {
        current.withLockedValue { $0 = limit }
    }

    /// Waits until `bytes` may go out.
    func pace(_ bytes: Int) async throws {
        guard let rate = currentRate() else { return }
        let wait = bucket.withLockedValue { $0.take(bytes, at: now(), bytesPerSecond: rate) }
        if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
    }

    /// The limit in force now, from the local weekday and time of day.
    func currentRate() -> Int64? {
        let limit = limit
        if limit.schedule.isEmpty { return limit.bytesPerSecond }
        var clock = time(nil)
        var local = tm()
        localtime_r(&clock, &local)
        let weekday = local.tm_wday == 0 ? 7 : Int(local.tm_wday)
        return limit.bytesPerSecond(weekday: weekday, minute: Int(local.tm_hour) * 60 + Int(local.tm_min))
    }
}
