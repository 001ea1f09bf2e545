#if canImport(Glibc)
import Glibc
#endif

/// The kernel's monotonic clock in seconds: what durations, deadlines and liveness are measured on, since a step
/// of the wall clock (NTP, an administrator) must not make a peer look silent or a timeout expire early.
public enum MonotonicClock {
    public static let seconds: @Sendable () -> Double = {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
