/// Keeps a flood of the same complaint out of the log: the first of each kind (a key, such as a peer address and a
/// refusal reason) is logged at once, then at most one per `window`, which carries the count of those held back
/// since the last one logged. Pure: the caller says what time it is.
///
/// The keys come from the network (an attacker chooses source addresses), so at most `maximumKeys` are remembered;
/// past that, complaints share one key and are counted together.
public struct LogRateLimiter: Sendable {
    public enum Decision: Sendable, Equatable {
        /// Log it; `suppressed` like it were held back since the last one logged (`since`, its time).
        case log(suppressed: Int, since: Double?)
        case suppress
    }

    public static let overflowKey = "(other sources)"

    public let window: Double
    public let maximumKeys: Int
    private var entries: [String: (lastLogged: Double, suppressed: Int)] = [:]

    public init(window: Double = 10, maximumKeys: Int = 256) {
        self.window = window
        self.maximumKeys = maximumKeys
    }

    public mutating func admit(_ key: String, at now: Double) -> Decision {
        var key = key
        if entries[key] == nil && entries.count >= maximumKeys {
            forgetQuietKeys(at: now)
            if entries.count >= maximumKeys { key = Self.overflowKey }
        }
        guard let entry = entries[key] else {
            entries[key] = (now, 0)
            return .log(suppressed: 0, since: nil)
        }
        if now - entry.lastLogged < window {
            entries[key]!.suppressed += 1
            return .suppress
        }
        entries[key] = (now, 0)
        return .log(suppressed: entry.suppressed, since: entry.lastLogged)
    }

    /// Keys whose window ended with something held back: (key, count, since), and they start afresh. For a periodic
    /// summary, so a flood that stopped is still counted in the log.
    public mutating func drain(at now: Double) -> [(key: String, suppressed: Int, since: Double)] {
        var drained: [(key: String, suppressed: Int, since: Double)] = []
        for (key, entry) in entries where entry.suppressed > 0 && now - entry.lastLogged >= window {
            drained.append((key, entry.suppressed, entry.lastLogged))
            entries[key] = (now, 0)
        }
        return drained.sorted { $0.key < $1.key }
    }

    /// Forgets keys that held nothing back and whose window has passed: they would log at once anyway.
    private mutating func forgetQuietKeys(at now: Double) {
        entries = entries.filter { $0.value.suppressed > 0 || now - $0.value.lastLogged < window }
    }

    /// " (and 41 more like it since 12 s ago)", or "" when nothing was held back.
    public static func suffix(suppressed: Int, since: Double?, now: Double) -> String {
        guard suppressed > 0 else { return "" }
        let ago = since.map { " in the last \(Int((now - $0).rounded())) s" } ?? ""
        return " (and \(suppressed) more like it\(ago), not logged one by one)"
    }
}
