/// Small readers shared by the failover, check and notification tables.
extension ConfigurationValidator {
    mutating func readInteger(
        _ key: String, _ table: TOMLTable, place: String, default defaultValue: Int, range: ClosedRange<Int>
    ) -> Int? {
        guard let value = table[key] else { return defaultValue }
        guard let integer = value.integer else {
            report(
                .wrongType, value.line,
                "\(Self.subject(key, place)) must be a whole number, not \(value.typeDescription)")
            return nil
        }
        guard range.contains(integer) else {
            report(
                .invalidValue, value.line,
                "\(Self.subject(key, place)) is \(integer); it must be from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return integer
    }

    mutating func readBool(_ key: String, _ table: TOMLTable, place: String, default defaultValue: Bool) -> Bool? {
        guard let value = table[key] else { return defaultValue }
        guard let boolean = value.boolean else {
            report(
                .wrongType, value.line,
                "\(Self.subject(key, place)) must be true or false, not \(value.typeDescription)")
            return nil
        }
        return boolean
    }

    /// One of `choices`; the default when absent.
    mutating func readChoice(
        _ key: String, _ table: TOMLTable, place: String, choices: [String], default defaultValue: String
    ) -> String? {
        guard
            let (text, line) = readString(
                key, in: table, place: place, required: false,
                expectation: choices.map { "\"\($0)\"" }.joined(separator: " or "))
        else {
            return table[key] == nil ? defaultValue : nil
        }
        guard choices.contains(text) else {
            report(
                .invalidValue, line,
                "\(Self.subject(key, place)) is '\(text)'; it must be "
                    + choices.map { "'\($0)'" }.joined(separator: " or "))
            return nil
        }
        return text
    }

    /// A non-empty command line (run by /bin/sh -c).
    mutating func readCommand(_ key: String, _ table: TOMLTable, place: String, required: Bool) -> String? {
        guard
            let (text, line) = readString(
                key, in: table, place: place, required: required, expectation: "a command line")
        else { return nil }
        if text.allSatisfy(\.isWhitespace) {
            report(
                .invalidValue, line,
                "\(Self.subject(key, place)) is empty; give the command to run (it runs by /bin/sh -c)")
            return nil
        }
        return text
    }

    /// An array of non-empty command lines.
    mutating func readCommands(_ key: String, _ table: TOMLTable, place: String) -> [String]? {
        if let value = table[key], let single = value.string {
            report(
                .wrongType, value.line,
                "\(Self.subject(key, place)) must be a list of command lines, like [\"\(single)\"]")
            return nil
        }
        guard let entries = readStringArray(key, in: table, place: place) else { return nil }
        var valid = true
        for (text, line) in entries where text.allSatisfy(\.isWhitespace) {
            report(.invalidValue, line, "an element of \(Self.subject(key, place)) is empty; give the command to run")
            valid = false
        }
        return valid ? entries.map(\.0) : nil
    }

    /// True for an IPv4 or IPv6 address literal (a link address must not need a name lookup: heartbeats must
    /// work when DNS is what failed).
    static func isAddressLiteral(_ text: String) -> Bool {
        !text.contains("/") && (try? ServiceAddress.parse(text)) != nil
    }
}
