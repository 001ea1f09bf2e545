/// A TOML 1.0 reader that keeps the line of every value and table.
///
/// It works on the UTF-8 bytes of the text (the text is a Swift `String`, so already valid UTF-8)
/// and stops at the first syntax error: after one, the rest of a TOML file cannot be read reliably.
/// Strings, numbers and the tree-building rules live in the `TOMLParser+…` files.
struct TOMLParser {
    let bytes: [UInt8]
    let path: String
    var position = 0
    var line = 1
    /// Arrays and inline tables open around the current position.
    var nesting = 0
    /// Deeper structures could only come from a hostile file, and would overflow the stack of the parser and of
    /// the code that walks the result.
    static let maximumNesting = 32
    static let maximumKeyParts = 32
    let root = TOMLTableBuilder(origin: .root, line: 1)

    init(text: String, path: String) {
        self.bytes = Array(text.utf8)
        self.path = path
    }

    mutating func parseDocument() throws(TOMLSyntaxError) -> TOMLTable {
        var current = root
        while true {
            skipSpaces()
            guard let byte = peek() else { break }
            switch byte {
            case UInt8(ascii: "#"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try expectEndOfLine(after: "")
            case UInt8(ascii: "["):
                current = try parseHeader()
            default:
                try parseKeyValue(into: current)
                try expectEndOfLine(after: "the value")
            }
        }
        return root.freeze()
    }

    // MARK: - Lines, headers and key/value pairs

    /// `[a.b]` or `[[a.b]]`; returns the table that the following key/value pairs fill.
    private mutating func parseHeader() throws(TOMLSyntaxError) -> TOMLTableBuilder {
        let headerLine = line
        position += 1
        let isArray = peek() == UInt8(ascii: "[")
        if isArray { position += 1 }
        skipSpaces()
        if peek() == UInt8(ascii: "]") {
            throw error("empty table name in header")
        }
        let key = try parseKey()
        skipSpaces()
        let closing = isArray ? "]]" : "]"
        guard peek() == UInt8(ascii: "]"), !isArray || peek(offset: 1) == UInt8(ascii: "]") else {
            throw error("expected '\(closing)' to close table header \(isArray ? "[[" : "[")\(Self.display(key))")
        }
        position += isArray ? 2 : 1
        let builder =
            isArray
            ? try appendArrayTable(key, line: headerLine)
            : try defineTable(key, line: headerLine)
        try expectEndOfLine(after: "the table header")
        return builder
    }

    /// `key = value` (the key may be dotted) into `table`.
    mutating func parseKeyValue(into table: TOMLTableBuilder) throws(TOMLSyntaxError) {
        let keyLine = line
        let key = try parseKey()
        skipSpaces()
        guard peek() == UInt8(ascii: "=") else {
            throw error("expected '=' after key '\(Self.display(key))'")
        }
        position += 1
        skipSpaces()
        if atEndOfLine {
            throw error("missing value after '\(Self.display(key)) ='")
        }
        let value = try parseValue()
        try assign(value, to: key, in: table, line: keyLine)
    }

    /// After a value or header only spaces and a comment may follow on the line.
    mutating func expectEndOfLine(after what: String) throws(TOMLSyntaxError) {
        skipSpaces()
        if peek() == UInt8(ascii: "#") { try skipComment() }
        guard let byte = peek() else { return }
        switch byte {
        case UInt8(ascii: "\n"):
            position += 1
            line += 1
        case UInt8(ascii: "\r") where peek(offset: 1) == UInt8(ascii: "\n"):
            position += 2
            line += 1
        case UInt8(ascii: "\r"):
            throw error("a carriage return must be followed by a newline")
        default:
            let found = describeCurrent()
            throw error(
                what.isEmpty ? "unexpected \(found)" : "expected the end of the line after \(what), found \(found)")
        }
    }

    // MARK: - Keys

    /// A possibly dotted key: `a`, `a.b`, `"quoted key".b`, `'literal'`.
    mutating func parseKey() throws(TOMLSyntaxError) -> [String] {
        var parts = [try parseSimpleKey()]
        while true {
            let save = position
            skipSpaces()
            guard peek() == UInt8(ascii: ".") else {
                position = save
                return parts
            }
            position += 1
            skipSpaces()
            parts.append(try parseSimpleKey())
            if parts.count > Self.maximumKeyParts {
                throw error("a key of more than \(Self.maximumKeyParts) dotted parts; nest less deeply")
            }
        }
    }

    private mutating func parseSimpleKey() throws(TOMLSyntaxError) -> String {
        guard let byte = peek() else { throw error("expected a key, found the end of the file") }
        if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
            if peek(offset: 1) == byte && peek(offset: 2) == byte {
                throw error("a key cannot be a multi-line string")
            }
            return byte == UInt8(ascii: "\"") ? try parseBasicString() : try parseLiteralString()
        }
        let start = position
        while let byte = peek(), Self.isBareKeyByte(byte) { position += 1 }
        if position == start || peek().map({ $0 >= 0x80 }) == true {
            if peek().map({ $0 >= 0x80 }) == true {
                throw error("\(describeCurrent()) is not allowed in a bare key; put the key in quotes")
            }
            throw error("expected a key, found \(describeCurrent())")
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    static func display(_ key: [String]) -> String {
        key.map { part in
            !part.isEmpty && part.utf8.allSatisfy(isBareKeyByte) ? part : String(reflecting: part)
        }.joined(separator: ".")
    }

    // MARK: - Values

    mutating func parseValue() throws(TOMLSyntaxError) -> TOMLValue {
        let valueLine = line
        guard let byte = peek() else { throw error("expected a value, found the end of the file") }
        switch byte {
        case UInt8(ascii: "\""):
            if peek(offset: 1) == byte && peek(offset: 2) == byte {
                return TOMLValue(.string(try parseMultilineBasicString()), line: valueLine)
            }
            return TOMLValue(.string(try parseBasicString()), line: valueLine)
        case UInt8(ascii: "'"):
            if peek(offset: 1) == byte && peek(offset: 2) == byte {
                return TOMLValue(.string(try parseMultilineLiteralString()), line: valueLine)
            }
            return TOMLValue(.string(try parseLiteralString()), line: valueLine)
        case UInt8(ascii: "["):
            return TOMLValue(.array(try parseArray()), line: valueLine)
        case UInt8(ascii: "{"):
            return TOMLValue(.table(try parseInlineTable()), line: valueLine)
        default:
            return TOMLValue(try parseBareValue(), line: valueLine)
        }
    }

    /// Enters an array or inline table, refusing one nested deeper than `maximumNesting`.
    private mutating func enterNested() throws(TOMLSyntaxError) {
        nesting += 1
        if nesting > Self.maximumNesting {
            throw error("arrays and inline tables nested more than \(Self.maximumNesting) deep; nest less deeply")
        }
    }

    private mutating func parseArray() throws(TOMLSyntaxError) -> [TOMLValue] {
        let startLine = line
        try enterNested()
        defer { nesting -= 1 }
        position += 1
        var elements: [TOMLValue] = []
        while true {
            try skipBlankSpaceAndComments()
            guard let byte = peek() else {
                throw error("unterminated array starting on line \(startLine); expected ']'")
            }
            if byte == UInt8(ascii: "]") {
                position += 1
                return elements
            }
            if byte == UInt8(ascii: ",") {
                throw error("expected a value in the array, found ','")
            }
            elements.append(try parseValue())
            try skipBlankSpaceAndComments()
            guard let next = peek() else {
                throw error("unterminated array starting on line \(startLine); expected ']'")
            }
            if next == UInt8(ascii: ",") {
                position += 1
            } else if next != UInt8(ascii: "]") {
                throw error("expected ',' or ']' after an array element, found \(describeCurrent())")
            }
        }
    }

    /// `{ a = 1, b.c = "x" }`: on one line and without a trailing comma, as TOML 1.0 requires.
    private mutating func parseInlineTable() throws(TOMLSyntaxError) -> TOMLTable {
        let table = TOMLTableBuilder(origin: .inline, line: line)
        try enterNested()
        defer { nesting -= 1 }
        position += 1
        skipSpaces()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return table.freeze()
        }
        while true {
            skipSpaces()
            if atEndOfLine { throw inlineTableNotOnOneLine() }
            if peek() == UInt8(ascii: "}") {
                throw error("a trailing comma is not allowed in an inline table")
            }
            try parseKeyValue(into: table)
            skipSpaces()
            guard let byte = peek() else { throw inlineTableNotOnOneLine() }
            switch byte {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "}"):
                position += 1
                return table.freeze()
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "#"):
                throw inlineTableNotOnOneLine()
            default:
                throw error("expected ',' or '}' in an inline table, found \(describeCurrent())")
            }
        }
    }

    private func inlineTableNotOnOneLine() -> TOMLSyntaxError {
        error("an inline table must end with '}' on the line it starts; use a [table] for longer ones")
    }

    // MARK: - Scanning

    func peek(offset: Int = 0) -> UInt8? {
        let index = position + offset
        return index < bytes.count ? bytes[index] : nil
    }

    var atEndOfLine: Bool {
        guard let byte = peek() else { return true }
        return byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "#")
    }

    mutating func skipSpaces() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { position += 1 }
    }

    private mutating func skipComment() throws(TOMLSyntaxError) {
        while let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") {
            if byte < 0x20 && byte != UInt8(ascii: "\t") || byte == 0x7F {
                throw error("control character \(Self.codePoint(UInt32(byte))) is not allowed in a comment")
            }
            position += 1
        }
    }

    /// Inside arrays newlines and comments may appear between elements.
    private mutating func skipBlankSpaceAndComments() throws(TOMLSyntaxError) {
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                position += 1
            case UInt8(ascii: "\n"):
                position += 1
                line += 1
            case UInt8(ascii: "\r") where peek(offset: 1) == UInt8(ascii: "\n"):
                position += 2
                line += 1
            case UInt8(ascii: "#"):
                try skipComment()
            default:
                return
            }
        }
    }

    func error(_ message: String, line: Int? = nil) -> TOMLSyntaxError {
        TOMLSyntaxError(file: path, line: line ?? self.line, message: message)
    }

    /// The character at the current position, quoted for a message; "the end of the line" and so on.
    func describeCurrent() -> String {
        guard let byte = peek() else { return "the end of the file" }
        switch byte {
        case UInt8(ascii: "\n"), UInt8(ascii: "\r"): return "the end of the line"
        case 0..<0x20, 0x7F: return Self.codePoint(UInt32(byte))
        case 0..<0x80: return "'\(Character(Unicode.Scalar(byte)))'"
        default:
            var end = position + 1
            while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
            return "'\(String(decoding: bytes[position..<end], as: UTF8.self))'"
        }
    }

    static func codePoint(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
