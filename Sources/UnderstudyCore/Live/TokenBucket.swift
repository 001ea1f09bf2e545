/// Paces a sender to a rate (pure; the time is an argument). Sending may run ahead by `burst` bytes; beyond
/// that the bucket goes into debt and says how long to wait before the next write.
public struct TokenBucket: Sendable, Equatable {
    public private(set) var tokens: Double
    private var last: Double?

    public init() {
        tokens = 0
    }

    /// Takes `bytes` at `now` under `bytesPerSecond`; returns the seconds to wait before sending them.
    public mutating func take(_ bytes: Int, at now: Double, bytesPerSecond: Int64) -> Double {
        let rate = Double(bytesPerSecond)
        let burst = max(rate / 4, 64 * 1024)
        if let last { tokens = min(burst, tokens + (now - last) * rate) } else { tokens = burst }
        last = now
        tokens -= Double(bytes)
        return tokens >= 0 ? 0 : -tokens / rate
    }
}
