/// A length of time written in the configuration: "500ms", "30s", "5m", "1h", "2d", a sum such as
/// "1h30m", or a plain integer number of seconds.
public struct ConfigDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Double

    public init(seconds: Double) {
        self.seconds = seconds
    }

    public static func < (lhs: ConfigDuration, rhs: ConfigDuration) -> Bool {
        lhs.seconds < rhs.seconds
    }

    private static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400),
    ]

    /// Parses the text form. Plain digits are seconds; otherwise one or more `<number><unit>` parts,
    /// where the number may have a fraction ("1.5h") and the unit is ms, s, m, h or d.
    public static func parse(_ text: String) throws(ConfigDurationError) -> ConfigDuration {
        let bytes = Array(text.utf8)
        if bytes.isEmpty {
            throw ConfigDurationError(text: text, reason: "it is empty")
        }
        if bytes.allSatisfy(isDigit) {
            guard let value = Double(text) else { throw ConfigDurationError(text: text, reason: "it is too large") }
            return ConfigDuration(seconds: value)
        }
        if bytes.first == UInt8(ascii: "-") {
            throw ConfigDurationError(text: text, reason: "it is negative")
        }
        var index = 0
        var total = 0.0
        while index < bytes.count {
            let numberStart = index
            while index < bytes.count, isDigit(bytes[index]) || bytes[index] == UInt8(ascii: ".") { index += 1 }
            let unitStart = index
            while index < bytes.count, isLetter(bytes[index]) { index += 1 }
            let number = String(decoding: bytes[numberStart..<unitStart], as: UTF8.self)
            let unit = String(decoding: bytes[unitStart..<index], as: UTF8.self)
            guard !number.isEmpty, let value = Double(number), number.first != ".", number.last != "." else {
                throw ConfigDurationError(text: text, reason: "each unit needs a number before it")
            }
            guard !unit.isEmpty else {
                throw ConfigDurationError(text: text, reason: "'\(number)' has no unit")
            }
            guard let scale = units.first(where: { $0.suffix == unit })?.seconds else {
                throw ConfigDurationError(text: text, reason: "'\(unit)' is not a unit")
            }
            total += value * scale
        }
        guard total.isFinite else { throw ConfigDurationError(text: text, reason: "it is too large") }
        return ConfigDuration(seconds: total)
    }

    /// The shortest exact form: "60s" is shown as "1m", half a second as "500ms".
    public var description: String {
        for (suffix, scale) in Self.units.reversed() where seconds >= scale || suffix == "ms" {
            let count = seconds / scale
            if count == count.rounded(), count < 1e15 {
                return "\(Int(count))\(suffix)"
            }
        }
        return "\(seconds)s"
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }
}

public struct ConfigDurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String

    public var description: String {
        "invalid duration '\(text)': \(reason); write a number with a unit ms, s, m, h or d, like \"30s\" or \"5m\""
    }
}
