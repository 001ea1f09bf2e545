/// A group's bandwidth limit on the primary's sending side: `bandwidth = "20MB/s"`, optionally with windows
/// in which another limit applies (`[[groups.NAME.bandwidth_schedule]]`, e.g. 2MB/s 08:00–18:00 on weekdays).
public struct BandwidthLimit: Sendable, Equatable {
    /// One window: on `days` (1 = Monday … 7 = Sunday), from `fromMinute` to `toMinute` (minutes after midnight,
    /// local time; a window that ends before it starts runs past midnight), `bytesPerSecond` applies
    /// (nil: unlimited).
    public struct Window: Sendable, Equatable {
        public var days: Set<Int>
        public var fromMinute: Int
        public var toMinute: Int
        public var bytesPerSecond: Int64?

        public init(days: Set<Int>, fromMinute: Int, toMinute: Int, bytesPerSecond: Int64?) {
            self.days = days
            self.fromMinute = fromMinute
            self.toMinute = toMinute
            self.bytesPerSecond = bytesPerSecond
        }

        func contains(weekday: Int, minute: Int) -> Bool {
            if fromMinute <= toMinute {
                return days.contains(weekday) && minute >= fromMinute && minute < toMinute
            }
            // Past midnight: the part after midnight belongs to the window that started the day before.
            let yesterday = weekday == 1 ? 7 : weekday - 1
            return (days.contains(weekday) && minute >= fromMinute) || (days.contains(yesterday) && minute < toMinute)
        }
    }

    /// nil: unlimited outside the windows.
    public var bytesPerSecond: Int64?
    public var schedule: [Window]

    public static let unlimited = BandwidthLimit(bytesPerSecond: nil, schedule: [])

    public init(bytesPerSecond: Int64?, schedule: [Window] = []) {
        self.bytesPerSecond = bytesPerSecond
        self.schedule = schedule
    }

    /// The limit in force at a local time; the first window that contains it wins.
    public func bytesPerSecond(weekday: Int, minute: Int) -> Int64? {
        schedule.first { $0.contains(weekday: weekday, minute: minute) }.map(\.bytesPerSecond) ?? bytesPerSecond
    }

    public var isUnlimited: Bool { bytesPerSecond == nil && schedule.allSatisfy { $0.bytesPerSecond == nil } }

    /// Parses "20MB/s", "500KiB/s", "1.5GB/s", "100Mbit/s" or "unlimited"; returns nil for unlimited.
    public static func parseRate(_ text: String) throws(BandwidthError) -> Int64? {
        if text == "unlimited" { return nil }
        guard text.hasSuffix("/s") else { throw BandwidthError(text: text, reason: "it does not end in /s") }
        let body = text.dropLast(2)
        let number = body.prefix { $0.isNumber || $0 == "." }
        let unit = body.dropFirst(number.count).trimmingPrefix(" ")
        guard !number.isEmpty, let value = Double(number), value > 0 else {
            throw BandwidthError(text: text, reason: "it needs a positive number before the unit")
        }
        let units: [String: Double] = [
            "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 1024, "MiB": 1_048_576, "GiB": 1_073_741_824,
            "kbit": 125, "Mbit": 125_000, "Gbit": 125_000_000,
        ]
        guard let scale = units[String(unit)] else {
            throw BandwidthError(
                text: text, reason: "'\(unit)' is not a unit (B, KB, MB, GB, KiB, MiB, GiB, kbit, Mbit, Gbit)")
        }
        let bytes = value * scale
        guard bytes >= 1024 else { throw BandwidthError(text: text, reason: "it is below 1 KiB/s") }
        guard bytes < 1e15 else { throw BandwidthError(text: text, reason: "it is too large") }
        return Int64(bytes)
    }
}

public struct BandwidthError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String

    public var description: String {
        "invalid bandwidth '\(text)': \(reason); write a rate like \"20MB/s\", \"512KiB/s\" or \"100Mbit/s\", or \"unlimited\""
    }
}
