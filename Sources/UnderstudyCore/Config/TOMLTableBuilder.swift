/// The parser's mutable view of a table while the file is read. TOML forbids redefining a table,
/// extending an inline table, or turning a dotted-key table into a `[header]` table, so each table
/// remembers how it came to exist; `freeze()` turns the tree into plain `TOMLTable` values.
final class TOMLTableBuilder {
    enum Origin {
        case root
        /// Created as the parent of a `[a.b]` header (`a`); may still get its own header once.
        case implicit
        /// Defined by a `[header]` or as an element of `[[array.of.tables]]`.
        case header
        /// Created by a dotted key such as `a.b = 1`.
        case dotted
        /// An inline table `{ ... }`, being filled while its braces are read.
        case inline
    }

    enum Slot {
        case value(TOMLValue)
        case table(TOMLTableBuilder)
        case arrayOfTables(line: Int, elements: [TOMLTableBuilder])
    }

    var origin: Origin
    var line: Int
    private(set) var keys: [String] = []
    private var slots: [String: Slot] = [:]

    init(origin: Origin, line: Int) {
        self.origin = origin
        self.line = line
    }

    subscript(key: String) -> Slot? {
        get { slots[key] }
        set {
            if slots[key] == nil { keys.append(key) }
            slots[key] = newValue
        }
    }

    func freeze() -> TOMLTable {
        var table = TOMLTable(line: line)
        for key in keys {
            switch slots[key]! {
            case .value(let value):
                table.set(key, value)
            case .table(let builder):
                table.set(key, TOMLValue(.table(builder.freeze()), line: builder.line))
            case .arrayOfTables(let line, let elements):
                let frozen = elements.map { TOMLValue(.table($0.freeze()), line: $0.line) }
                table.set(key, TOMLValue(.array(frozen), line: line))
            }
        }
        return table
    }
}

extension TOMLTableBuilder.Slot {
    /// The line a slot was first defined on, for "already defined on line N" messages.
    var line: Int {
        switch self {
        case .value(let value): return value.line
        case .table(let builder): return builder.line
        case .arrayOfTables(let line, _): return line
        }
    }
}
