/// A parsed TOML value together with the line it starts on, so that every configuration problem can
/// be reported as `file:line: message`.
public struct TOMLValue: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case float(Double)
        case boolean(Bool)
        case array([TOMLValue])
        case table(TOMLTable)
    }

    public var kind: Kind
    /// 1-based line on which the value starts (for a key/value pair, the key's line).
    public var line: Int

    public init(_ kind: Kind, line: Int) {
        self.kind = kind
        self.line = line
    }

    public var string: String? {
        if case .string(let value) = kind { return value }
        return nil
    }

    public var integer: Int? {
        if case .integer(let value) = kind { return value }
        return nil
    }

    public var float: Double? {
        if case .float(let value) = kind { return value }
        return nil
    }

    public var boolean: Bool? {
        if case .boolean(let value) = kind { return value }
        return nil
    }

    public var array: [TOMLValue]? {
        if case .array(let value) = kind { return value }
        return nil
    }

    public var table: TOMLTable? {
        if case .table(let value) = kind { return value }
        return nil
    }

    /// The type as a user reads it in a message: "a string", "an integer", "a table"...
    public var typeDescription: String {
        switch kind {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a float"
        case .boolean: return "a boolean"
        case .array: return "an array"
        case .table: return "a table"
        }
    }
}

/// A TOML table whose keys keep the order in which they were written.
public struct TOMLTable: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: TOMLValue
    }

    /// Where the table is defined: its `[header]` line, the line of the dotted key or inline table
    /// that created it, or the first header that implied it. The root table is on line 1.
    public var line: Int
    public private(set) var entries: [Entry] = []
    private var indexByKey: [String: Int] = [:]

    public init(line: Int) {
        self.line = line
    }

    public var keys: [String] { entries.map(\.key) }
    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }

    public subscript(key: String) -> TOMLValue? {
        guard let index = indexByKey[key] else { return nil }
        return entries[index].value
    }

    /// Sets a value, replacing an existing one in place (the parser itself refuses duplicates).
    public mutating func set(_ key: String, _ value: TOMLValue) {
        if let index = indexByKey[key] {
            entries[index].value = value
        } else {
            indexByKey[key] = entries.count
            entries.append(Entry(key: key, value: value))
        }
    }

    public static func == (lhs: TOMLTable, rhs: TOMLTable) -> Bool {
        lhs.line == rhs.line && lhs.entries == rhs.entries
    }
}
