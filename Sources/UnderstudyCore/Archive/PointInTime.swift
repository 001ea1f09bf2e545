/// The moments `understudy restore --at` understands, as seconds since 1970: "2026-11-22T10:00:00Z" (or with an
/// offset, "+01:00"), "2026-11-22 10:00[:SS]" and "2026-11-22" in local time (the calendar's offset), and a
/// duration such as "2h" or "1d12h" meaning that long ago. No clock: `now` comes in.
public enum PointInTime {
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var text: String
        /// Why a well-formed time is refused; nil when the text is not a time at all.
        public var reason: String?

        public init(text: String, reason: String? = nil) {
            self.text = text
            self.reason = reason
        }

        public var description: String {
            if let reason { return "'\(text)' is refused: \(reason)" }
            return
                "'\(text)' is not a time: use 2026-11-22T10:00:00Z, 2026-11-22 10:00 (local time), 2026-11-22, or a duration ago like 2h or 3d"
        }
    }

    public static func parse(_ text: String, now: Double, calendar: ArchiveCalendar) throws(ParseError) -> Double {
        let trimmed = text.trimmingSpaces
        let moment: Double
        if let duration = try? ConfigDuration.parse(trimmed), trimmed.contains(where: \.isLetter) {
            moment = now - duration.seconds
        } else {
            guard let parsed = parseDate(trimmed, calendar: calendar) else { throw ParseError(text: text) }
            moment = parsed
        }
        // Nothing understudy keeps is older than 1970; far older moments would print with negative years.
        guard moment >= 0 else {
            throw ParseError(text: text, reason: "it is before 1970-01-01, older than anything understudy keeps")
        }
        return moment
    }

    private static func parseDate(_ text: String, calendar: ArchiveCalendar) -> Double? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 10, let year = number(bytes, 0, 4), bytes[4] == UInt8(ascii: "-"),
            let month = number(bytes, 5, 2),
            bytes[7] == UInt8(ascii: "-"), let day = number(bytes, 8, 2), (1...12).contains(month),
            (1...31).contains(day)
        else { return nil }
        if bytes.count == 10 { return calendar.time(year: year, month: month, day: day) }
        guard bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "), bytes.count >= 16,
            let hour = number(bytes, 11, 2), bytes[13] == UInt8(ascii: ":"), let minute = number(bytes, 14, 2),
            hour < 24, minute < 60
        else { return nil }
        var index = 16
        var second = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
            guard let value = number(bytes, index + 1, 2), value < 61 else { return nil }
            second = value
            index += 3
        }
        var offset: Int? = nil
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                guard index + 1 == bytes.count else { return nil }
                offset = 0
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard bytes.count == index + 6, let hours = number(bytes, index + 1, 2),
                    bytes[index + 3] == UInt8(ascii: ":"),
                    let minutes = number(bytes, index + 4, 2), hours < 24, minutes < 60
                else { return nil }
                offset = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
            default:
                return nil
            }
        }
        let local = ArchiveCalendar(utcOffsetSeconds: offset ?? calendar.utcOffsetSeconds)
        return local.time(year: year, month: month, day: day, hour: hour, minute: minute) + Double(second)
    }

    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<start + count] {
            guard byte >= 48 && byte <= 57 else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    /// "2026-11-22T10:00:00Z" for a time (UTC, whole seconds).
    public static func format(_ time: Double) -> String {
        let civil = ArchiveCalendar(utcOffsetSeconds: 0).civil(time)
        let seconds = Int(time.rounded(.down)) - Int((time / 60).rounded(.down)) * 60
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return
            "\(civil.year)-\(two(civil.month))-\(two(civil.day))T\(two(civil.hour)):\(two(civil.minute)):\(two(seconds))Z"
    }

    /// "20261122T100000Z": the compact form in archive names.
    public static func compact(_ time: Double) -> String {
        format(time).replacingDashesAndColons
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }

    fileprivate var replacingDashesAndColons: String {
        String(filter { $0 != "-" && $0 != ":" })
    }
}
