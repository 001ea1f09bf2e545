/// Slows down password guessing: after `free` failed logins for one user name or from one address, each further
/// attempt must wait, twice as long after each failure (1 s, 2 s, 4 s, ... at most `longest`), until a login
/// succeeds or the failures are `forgetAfter` old. Pure: the time is an argument.
struct LoginThrottle: Sendable {
    var free = 3
    var longest = 300.0
    var forgetAfter = 900.0
    private var failures: [String: (count: Int, last: Double)] = [:]

    /// Seconds to wait before `keys` may try again; 0 when they may now.
    func wait(for keys: [String], now: Double) -> Double {
        keys.map { key -> Double in
            guard let entry = failures[key], now - entry.last < forgetAfter, entry.count >= free else { return 0 }
            let delay = min(longest, Double(1 << min(entry.count - free, 20)))
            return max(0, entry.last + delay - now)
        }.max() ?? 0
    }

    mutating func failed(_ keys: [String], now: Double) {
        for key in keys {
            let count = failures[key].map { now - $0.last < forgetAfter ? $0.count : 0 } ?? 0
            failures[key] = (count + 1, now)
        }
        // Bounded: a flood of names cannot grow the table without end.
        if failures.count > 10_000 { failures = failures.filter { now - $0.value.last < forgetAfter } }
    }

    mutating func succeeded(_ keys: [String]) {
        for key in keys { failures[key] = nil }
    }
}
