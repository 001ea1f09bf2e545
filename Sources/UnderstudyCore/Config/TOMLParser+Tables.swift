/// TOML's rules for building the tree: a key is defined once, a table is defined once, inline
/// tables and arrays are closed when written, and `[a.b]` may descend into the last element of an
/// array of tables `[[a]]`.
extension TOMLParser {
    /// `key = value` with a possibly dotted key: the leading parts name (or create) dotted tables.
    func assign(_ value: TOMLValue, to key: [String], in table: TOMLTableBuilder, line: Int) throws(TOMLSyntaxError) {
        var current = table
        for (depth, part) in key.dropLast().enumerated() {
            let shown = Self.display(Array(key[...depth]))
            switch current[part] {
            case nil:
                let child = TOMLTableBuilder(origin: .dotted, line: line)
                current[part] = .table(child)
                current = child
            case .table(let child) where child.origin == .dotted:
                current = child
            case .table(let child):
                throw error(
                    "cannot add keys to table '\(shown)' with dotted keys; it is defined on line \(child.line)",
                    line: line)
            case .value(let value) where value.table != nil:
                throw error(
                    "cannot extend inline table '\(shown)' defined on line \(value.line); inline tables are complete as written",
                    line: line)
            case let slot?:
                throw error("key '\(shown)' is already defined on line \(slot.line) and is not a table", line: line)
            }
        }
        let last = key[key.count - 1]
        if let existing = current[last] {
            throw error(
                "duplicate key '\(Self.display(key))'; it is already defined on line \(existing.line)", line: line)
        }
        current[last] = .value(value)
    }

    /// `[a.b.c]`: defines `c` inside `a.b`, creating `a` and `a.b` implicitly when needed.
    func defineTable(_ key: [String], line: Int) throws(TOMLSyntaxError) -> TOMLTableBuilder {
        let parent = try descend(to: key.dropLast(), line: line)
        let last = key[key.count - 1]
        let shown = "[\(Self.display(key))]"
        switch parent[last] {
        case nil:
            let table = TOMLTableBuilder(origin: .header, line: line)
            parent[last] = .table(table)
            return table
        case .table(let table) where table.origin == .implicit:
            // `[a.b]` came first and implied `[a]`; `[a]` may still be written once.
            table.origin = .header
            table.line = line
            return table
        case .table(let table) where table.origin == .dotted:
            throw error("table \(shown) is already defined by dotted keys on line \(table.line)", line: line)
        case .table(let table):
            throw error("table \(shown) is already defined on line \(table.line)", line: line)
        case .arrayOfTables(let arrayLine, _):
            throw error(
                "\(shown) is already an array of tables (defined with [[\(Self.display(key))]] on line \(arrayLine))",
                line: line)
        case .value(let value):
            throw error(
                "cannot define table \(shown): key '\(Self.display(key))' is already defined on line \(value.line)",
                line: line)
        }
    }

    /// `[[a.b]]`: appends a new table to the array of tables `b` inside `a`.
    func appendArrayTable(_ key: [String], line: Int) throws(TOMLSyntaxError) -> TOMLTableBuilder {
        let parent = try descend(to: key.dropLast(), line: line)
        let last = key[key.count - 1]
        let element = TOMLTableBuilder(origin: .header, line: line)
        switch parent[last] {
        case nil:
            parent[last] = .arrayOfTables(line: line, elements: [element])
        case .arrayOfTables(let arrayLine, var elements):
            elements.append(element)
            parent[last] = .arrayOfTables(line: arrayLine, elements: elements)
        case let slot?:
            throw error(
                "cannot define [[\(Self.display(key))]]: '\(Self.display(key))' is already defined on line \(slot.line) and is not an array of tables",
                line: line)
        }
        return element
    }

    /// Walks the leading parts of a header key, creating implicit tables and entering the last
    /// element of arrays of tables.
    private func descend(to key: ArraySlice<String>, line: Int) throws(TOMLSyntaxError) -> TOMLTableBuilder {
        var current = root
        for (offset, part) in key.enumerated() {
            let shown = Self.display(Array(key.prefix(offset + 1)))
            switch current[part] {
            case nil:
                let child = TOMLTableBuilder(origin: .implicit, line: line)
                current[part] = .table(child)
                current = child
            case .table(let child):
                current = child
            case .arrayOfTables(_, let elements):
                current = elements[elements.count - 1]
            case .value(let value) where value.table != nil:
                throw error(
                    "cannot extend inline table '\(shown)' defined on line \(value.line); inline tables are complete as written",
                    line: line)
            case .value(let value):
                throw error("key '\(shown)' is already defined on line \(value.line) and is not a table", line: line)
            }
        }
        return current
    }
}
