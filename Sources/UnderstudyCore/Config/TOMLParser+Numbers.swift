/// Unquoted values: booleans, integers (decimal with `_`, `0x`, `0o`, `0b`) and floats
/// (`1.5`, `1e6`, `inf`, `nan`). Dates and times are refused with a clear message.
extension TOMLParser {
    mutating func parseBareValue() throws(TOMLSyntaxError) -> TOMLValue.Kind {
        let start = position
        while let byte = peek(), Self.isBareValueByte(byte) { position += 1 }
        guard position > start else {
            throw error("expected a value, found \(describeCurrent())")
        }
        let token = Array(bytes[start..<position])
        let text = String(decoding: token, as: UTF8.self)
        if Self.looksLikeDateOrTime(token) {
            throw error("'\(text)' looks like a date or time; dates are not supported here")
        }
        switch text {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        guard Self.looksNumeric(token) else {
            throw error("invalid value '\(text)'; strings must be in quotes, like \"\(text)\"")
        }
        return try parseNumber(token, text: text)
    }

    private func parseNumber(_ token: [UInt8], text: String) throws(TOMLSyntaxError) -> TOMLValue.Kind {
        var digits = token[...]
        if let first = digits.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            digits = digits.dropFirst()
        }
        if digits.count > 2, digits.first == UInt8(ascii: "0"), let radix = Self.radix(digits[digits.startIndex + 1]) {
            if digits.count != token.count {
                throw error("invalid number '\(text)': a prefixed integer cannot have a sign")
            }
            return .integer(try parsePrefixedInteger(digits.dropFirst(2), radix: radix, text: text))
        }
        let isFloat = digits.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let integerPart = digits.prefix {
            $0 != UInt8(ascii: ".") && $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E")
        }
        try checkDigitGroups(integerPart, text: text)
        if integerPart.count > 1, integerPart.first == UInt8(ascii: "0") {
            throw error("invalid number '\(text)': leading zeros are not allowed")
        }
        var rest = digits.dropFirst(integerPart.count)
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst()
            let fraction = rest.prefix { Self.isDigit($0) || $0 == UInt8(ascii: "_") }
            try checkDigitGroups(fraction, text: text)
            rest = rest.dropFirst(fraction.count)
        }
        if let marker = rest.first, marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") {
            rest = rest.dropFirst()
            if let sign = rest.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                rest = rest.dropFirst()
            }
            try checkDigitGroups(rest, text: text)
        } else if !rest.isEmpty {
            throw error("invalid number '\(text)'; strings must be in quotes, like \"\(text)\"")
        }
        let cleaned = String(decoding: token.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        if isFloat {
            guard let value = Double(cleaned), value.isFinite else {
                throw error("invalid number '\(text)': out of range for a float")
            }
            return .float(value)
        }
        guard let value = Int(cleaned) else {
            throw error("invalid number '\(text)': out of range for a 64-bit integer")
        }
        return .integer(value)
    }

    private func parsePrefixedInteger(
        _ digits: ArraySlice<UInt8>, radix: Int, text: String
    ) throws(TOMLSyntaxError) -> Int {
        try checkDigitGroups(digits, text: text, radix: radix)
        let cleaned = String(decoding: digits.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        guard let value = Int(cleaned, radix: radix) else {
            throw error("invalid number '\(text)': out of range for a 64-bit integer")
        }
        return value
    }

    /// Digits with `_` only between two digits: `1_000` yes, `_1`, `1_`, `1__0` no.
    private func checkDigitGroups(_ digits: ArraySlice<UInt8>, text: String, radix: Int = 10) throws(TOMLSyntaxError) {
        guard !digits.isEmpty else {
            throw error("invalid number '\(text)': digits are missing")
        }
        var previousWasDigit = false
        for byte in digits {
            if byte == UInt8(ascii: "_") {
                guard previousWasDigit else {
                    throw error("invalid number '\(text)': '_' must stand between two digits")
                }
                previousWasDigit = false
            } else if let value = Self.hexDigitValue(byte), Int(value) < radix {
                previousWasDigit = true
            } else {
                let name = [2: "binary", 8: "octal", 10: "decimal", 16: "hexadecimal"][radix] ?? "a"
                throw error("invalid number '\(text)': '\(Character(Unicode.Scalar(byte)))' is not a \(name) digit")
            }
        }
        if !previousWasDigit {
            throw error("invalid number '\(text)': '_' must stand between two digits")
        }
    }

    private static func radix(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "x"): return 16
        case UInt8(ascii: "o"): return 8
        case UInt8(ascii: "b"): return 2
        default: return nil
        }
    }

    private static func isBareValueByte(_ byte: UInt8) -> Bool {
        isBareKeyByte(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
    }

    /// A token is a number attempt when it starts like one; anything else is an unquoted string.
    private static func looksNumeric(_ token: [UInt8]) -> Bool {
        var index = 0
        if token[0] == UInt8(ascii: "+") || token[0] == UInt8(ascii: "-") { index = 1 }
        guard index < token.count, isDigit(token[index]) else { return false }
        return !token.contains(UInt8(ascii: ":"))
    }

    /// `1979-05-27`, `07:32:00`, `1979-05-27T07:32:00Z`: TOML dates and times, which the
    /// configuration never needs.
    private static func looksLikeDateOrTime(_ token: [UInt8]) -> Bool {
        if token.count >= 5, token[0..<4].allSatisfy(isDigit), token[4] == UInt8(ascii: "-") { return true }
        if token.count >= 3, token[0..<2].allSatisfy(isDigit), token[2] == UInt8(ascii: ":") { return true }
        return false
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
