/// The four TOML string forms: "basic", 'literal', """multi-line basic""" and '''multi-line literal'''.
extension TOMLParser {
    mutating func parseBasicString() throws(TOMLSyntaxError) -> String {
        position += 1
        var result: [UInt8] = []
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
                throw error("unterminated string; a \"basic string\" must end with '\"' on the same line")
            }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: result, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &result)
            default:
                try checkNotControl(byte)
                result.append(byte)
                position += 1
            }
        }
    }

    mutating func parseLiteralString() throws(TOMLSyntaxError) -> String {
        position += 1
        let start = position
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
                throw error("unterminated string; a 'literal string' must end with \"'\" on the same line")
            }
            if byte == UInt8(ascii: "'") {
                let text = String(decoding: bytes[start..<position], as: UTF8.self)
                position += 1
                return text
            }
            try checkNotControl(byte)
            position += 1
        }
    }

    mutating func parseMultilineBasicString() throws(TOMLSyntaxError) -> String {
        let startLine = line
        position += 3
        skipNewlineAfterOpeningDelimiter()
        var result: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw error("unterminated multi-line string starting on line \(startLine); expected '\"\"\"'")
            }
            switch byte {
            case UInt8(ascii: "\""):
                if try closesMultiline(quote: byte, into: &result) {
                    return String(decoding: result, as: UTF8.self)
                }
            case UInt8(ascii: "\\"):
                if lineEndingBackslashFollows() {
                    position += 1
                    skipWhitespaceAndNewlines()
                } else {
                    try parseEscape(into: &result)
                }
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try consumeNewline()
                result.append(UInt8(ascii: "\n"))
            default:
                try checkNotControl(byte)
                result.append(byte)
                position += 1
            }
        }
    }

    mutating func parseMultilineLiteralString() throws(TOMLSyntaxError) -> String {
        let startLine = line
        position += 3
        skipNewlineAfterOpeningDelimiter()
        var result: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw error("unterminated multi-line string starting on line \(startLine); expected \"'''\"")
            }
            switch byte {
            case UInt8(ascii: "'"):
                if try closesMultiline(quote: byte, into: &result) {
                    return String(decoding: result, as: UTF8.self)
                }
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try consumeNewline()
                result.append(UInt8(ascii: "\n"))
            default:
                try checkNotControl(byte)
                result.append(byte)
                position += 1
            }
        }
    }

    // MARK: - Helpers

    /// A run of quotes inside a multi-line string: fewer than three are content; three to five
    /// close the string, the extra one or two being content (`"""a""""` is `a"`).
    private mutating func closesMultiline(quote: UInt8, into result: inout [UInt8]) throws(TOMLSyntaxError) -> Bool {
        var count = 0
        while peek() == quote {
            count += 1
            position += 1
        }
        if count < 3 {
            result.append(contentsOf: repeatElement(quote, count: count))
            return false
        }
        if count > 5 {
            throw error("too many quotes closing a multi-line string")
        }
        result.append(contentsOf: repeatElement(quote, count: count - 3))
        return true
    }

    private mutating func skipNewlineAfterOpeningDelimiter() {
        if peek() == UInt8(ascii: "\n") {
            position += 1
            line += 1
        } else if peek() == UInt8(ascii: "\r"), peek(offset: 1) == UInt8(ascii: "\n") {
            position += 2
            line += 1
        }
    }

    private mutating func consumeNewline() throws(TOMLSyntaxError) {
        if peek() == UInt8(ascii: "\r") {
            guard peek(offset: 1) == UInt8(ascii: "\n") else {
                throw error("a carriage return must be followed by a newline")
            }
            position += 1
        }
        position += 1
        line += 1
    }

    /// `\` followed only by spaces up to the end of the line joins the next line.
    private func lineEndingBackslashFollows() -> Bool {
        var index = position + 1
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
            index += 1
        }
        return index < bytes.count && (bytes[index] == UInt8(ascii: "\n") || bytes[index] == UInt8(ascii: "\r"))
    }

    private mutating func skipWhitespaceAndNewlines() {
        while let byte = peek() {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") {
                position += 1
            } else if byte == UInt8(ascii: "\n") {
                position += 1
                line += 1
            } else {
                return
            }
        }
    }

    private mutating func parseEscape(into result: inout [UInt8]) throws(TOMLSyntaxError) {
        position += 1
        guard let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
            throw error("a '\\' at the end of a line is only allowed in a multi-line \"\"\"string\"\"\"")
        }
        position += 1
        switch byte {
        case UInt8(ascii: "b"): result.append(0x08)
        case UInt8(ascii: "t"): result.append(0x09)
        case UInt8(ascii: "n"): result.append(0x0A)
        case UInt8(ascii: "f"): result.append(0x0C)
        case UInt8(ascii: "r"): result.append(0x0D)
        case UInt8(ascii: "\""): result.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): result.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "u"): try parseUnicodeEscape(digits: 4, into: &result)
        case UInt8(ascii: "U"): try parseUnicodeEscape(digits: 8, into: &result)
        default:
            position -= 1
            throw error(
                "invalid escape '\\\(describeCurrent().trimmingQuotes)' in string; write '\\\\' for a backslash")
        }
    }

    private mutating func parseUnicodeEscape(digits: Int, into result: inout [UInt8]) throws(TOMLSyntaxError) {
        let letter = digits == 4 ? "u" : "U"
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let byte = peek(), let digit = Self.hexDigitValue(byte) else {
                throw error("'\\\(letter)' must be followed by \(digits) hexadecimal digits")
            }
            value = value &* 16 &+ UInt32(digit)
            position += 1
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw error("'\\\(letter)' escape \(Self.codePoint(value)) is not a Unicode scalar value")
        }
        result.append(contentsOf: String(Character(scalar)).utf8)
    }

    private func checkNotControl(_ byte: UInt8) throws(TOMLSyntaxError) {
        if byte < 0x20 && byte != UInt8(ascii: "\t") || byte == 0x7F {
            throw error("control character \(Self.codePoint(UInt32(byte))) must be escaped in a string")
        }
    }

    static func hexDigitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

private extension String {
    var trimmingQuotes: Substring {
        guard count >= 2, first == "'", last == "'" else { return Substring(self) }
        return dropFirst().dropLast()
    }
}
