/// Bytes moved over a sliding window (pure; times are arguments): `understudy status` shows the rate.
public struct ThroughputMeter: Sendable, Equatable {
    public let window: Double
    private var samples: [(time: Double, bytes: Int64)] = []

    public init(window: Double = 60) {
        self.window = window
    }

    public mutating func record(_ bytes: Int64, at now: Double) {
        guard bytes > 0 else { return }
        samples.append((now, bytes))
        samples.removeAll { $0.time <= now - window }
    }

    /// Bytes per second over the window ending at `now`.
    public func rate(at now: Double) -> Double {
        Double(samples.lazy.filter { $0.time > now - self.window }.map(\.bytes).reduce(0, +)) / window
    }

    public static func == (lhs: ThroughputMeter, rhs: ThroughputMeter) -> Bool {
        lhs.window == rhs.window
            && lhs.samples.elementsEqual(rhs.samples) { $0.time == $1.time && $0.bytes == $1.bytes }
    }
}
