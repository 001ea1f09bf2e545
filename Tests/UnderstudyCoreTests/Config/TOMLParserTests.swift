import Testing
@testable import UnderstudyCore

@Suite struct TOMLParserTests {
    private func parse(_ text: String) throws -> TOMLTable {
        try TOMLDocument.parse(text, path: "test.toml").root
    }

    private func syntaxError(_ text: String) -> TOMLSyntaxError? {
        do {
            _ = try TOMLDocument.parse(text, path: "test.toml")
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Values

    @Test func reads_everyScalarType_withItsLine() throws {
        let root = try parse(
            """
            # a comment
            text = "hello" # trailing comment
            literal = 'C:\\path'
            count = 42
            negative = -17
            big = 1_000_000
            hex = 0xDEAD_beef
            octal = 0o755
            binary = 0b1101
            ratio = 3.25
            exponent = -1e-3
            both = 6.5E+2
            infinite = -inf
            unknown = nan
            yes = true
            no = false
            """)
        #expect(root["text"] == TOMLValue(.string("hello"), line: 2))
        #expect(root["literal"]?.string == "C:\\path")
        #expect(root["count"] == TOMLValue(.integer(42), line: 4))
        #expect(root["negative"]?.integer == -17)
        #expect(root["big"]?.integer == 1_000_000)
        #expect(root["hex"]?.integer == 0xDEAD_BEEF)
        #expect(root["octal"]?.integer == 0o755)
        #expect(root["binary"]?.integer == 13)
        #expect(root["ratio"]?.float == 3.25)
        #expect(root["exponent"]?.float == -0.001)
        #expect(root["both"]?.float == 650)
        #expect(root["infinite"]?.float == -.infinity)
        #expect(root["unknown"]?.float?.isNaN == true)
        #expect(root["yes"] == TOMLValue(.boolean(true), line: 15))
        #expect(root["no"]?.boolean == false)
        #expect(root.keys.first == "text")
    }

    @Test func decodes_basicStringEscapes() throws {
        let root = try parse(#"s = "tab\there\nquote\" backslash\\ e\u00E9 smile\U0001F600 \b\f\r""#)
        #expect(root["s"]?.string == "tab\there\nquote\" backslash\\ e\u{E9} smile\u{1F600} \u{08}\u{0C}\r")
    }

    @Test func reads_multilineBasicString_trimmingFirstNewline_andJoiningBackslashLines() throws {
        let root = try parse(
            """
            s = \"\"\"
            first
              second \\
                 joined\"\"\"
            after = 1
            """)
        #expect(root["s"]?.string == "first\n  second joined")
        #expect(root["s"]?.line == 1)
        #expect(root["after"]?.line == 5)
    }

    @Test func reads_multilineStrings_withQuotesInsideAndAtTheEnd() throws {
        let root = try parse(
            #"""
            a = """one "two" ""three"" """"
            b = '''it's '' ok'''''
            """#)
        #expect(root["a"]?.string == #"one "two" ""three"" ""#)
        #expect(root["b"]?.string == "it's '' ok''")
    }

    @Test func reads_multilineLiteralString_withoutEscapes() throws {
        let root = try parse(
            """
            s = '''
            C:\\dir\\n
            line two'''
            next = true
            """)
        #expect(root["s"]?.string == "C:\\dir\\n\nline two")
        #expect(root["next"]?.line == 4)
    }

    @Test func reads_multilineArray_withCommentsAndTrailingComma_elementLinesKept() throws {
        let root = try parse(
            """
            list = [
              "a", # first
              # nothing here
              "b",
            ]
            mixed = [1, "two", [3.0], { four = 4 }]
            empty = [ ]
            """)
        let list = try #require(root["list"]?.array)
        #expect(list.map(\.string) == ["a", "b"])
        #expect(list.map(\.line) == [2, 4])
        #expect(root["list"]?.line == 1)
        let mixed = try #require(root["mixed"]?.array)
        #expect(mixed.count == 4)
        #expect(mixed[2].array?.first?.float == 3.0)
        #expect(mixed[3].table?["four"]?.integer == 4)
        #expect(root["empty"]?.array?.isEmpty == true)
    }

    @Test func reads_inlineTable_withDottedKeys() throws {
        let root = try parse(#"point = { x = 1, y.z = "deep", "quoted key" = true }"#)
        let point = try #require(root["point"]?.table)
        #expect(point["x"]?.integer == 1)
        #expect(point["y"]?.table?["z"]?.string == "deep")
        #expect(point["quoted key"]?.boolean == true)
    }

    // MARK: - Keys and tables

    @Test func reads_bareQuotedAndDottedKeys() throws {
        let root = try parse(
            """
            bare-key_1 = 1
            "quoted.key" = 2
            'literal key' = 3
            a . b.c = 4
            "" = 5
            """)
        #expect(root["bare-key_1"]?.integer == 1)
        #expect(root["quoted.key"]?.integer == 2)
        #expect(root["literal key"]?.integer == 3)
        #expect(root["a"]?.table?["b"]?.table?["c"]?.integer == 4)
        #expect(root["a"]?.table?.line == 4)
        #expect(root[""]?.integer == 5)
    }

    @Test func reads_tables_withHeaderLines_andImplicitParents() throws {
        let root = try parse(
            """
            top = 1

            [nodes.alpha]
            address = "a:1"

            [nodes.beta]
            address = "b:1"
            """)
        let nodes = try #require(root["nodes"]?.table)
        #expect(nodes.keys == ["alpha", "beta"])
        #expect(nodes["alpha"]?.table?.line == 3)
        #expect(nodes["beta"]?.table?.line == 6)
        #expect(nodes["beta"]?.table?["address"]?.line == 7)
    }

    @Test func allows_implicitTable_toBeDefinedLater() throws {
        let root = try parse(
            """
            [a.b]
            x = 1
            [a]
            y = 2
            """)
        #expect(root["a"]?.table?.line == 3)
        #expect(root["a"]?.table?["y"]?.integer == 2)
    }

    @Test func reads_arrayOfTables_withSubtablesOfTheLastElement() throws {
        let root = try parse(
            """
            [[groups.web.shares]]
            name = "one"

            [[groups.web.shares]]
            name = "two"
            [groups.web.shares.extra]
            flag = true
            """)
        let shares = try #require(root["groups"]?.table?["web"]?.table?["shares"]?.array)
        #expect(shares.count == 2)
        #expect(shares.map(\.line) == [1, 4])
        #expect(shares[1].table?["name"]?.string == "two")
        #expect(shares[1].table?["extra"]?.table?["flag"]?.boolean == true)
        #expect(shares[0].table?["extra"] == nil)
    }

    @Test func accepts_crlfLineEndings() throws {
        let root = try parse("a = 1\r\nb = \"x\"\r\n")
        #expect(root["b"]?.line == 2)
    }

    // MARK: - Syntax errors, each with its line

    @Test(
        arguments: [
            ("a = 1\naddress \"x\"", 2, "expected '=' after key 'address'"),
            ("a = \n", 1, "missing value after 'a ='"),
            ("\n\na = 1\na = 2", 4, "duplicate key 'a'; it is already defined on line 3"),
            ("[t]\nx = 1\n[t]", 3, "table [t] is already defined on line 1"),
            ("a.b = 1\n[a]", 2, "already defined by dotted keys on line 1"),
            ("[[a]]\n[a]", 2, "already an array of tables"),
            ("a = 1\n[[a]]", 2, "is already defined on line 1 and is not an array of tables"),
            ("a = 1\n[a.b]", 2, "key 'a' is already defined on line 1 and is not a table"),
            ("a = { x = 1 }\n[a.b]", 2, "cannot extend inline table 'a'"),
            ("a = { x = 1 }\na.y = 2", 2, "cannot extend inline table 'a'"),
            ("s = \"open\nnext = 1", 1, "unterminated string"),
            ("s = 'open", 1, "unterminated string"),
            ("\ns = \"\"\"never\nclosed", 3, "unterminated multi-line string starting on line 2"),
            ("s = \"bad \\q escape\"", 1, "invalid escape '\\q'"),
            ("s = \"\\u12\"", 1, "'\\u' must be followed by 4 hexadecimal digits"),
            ("s = \"\\uD800\"", 1, "is not a Unicode scalar value"),
            ("a = [1, 2\nb = 3", 2, "expected ',' or ']' after an array element"),
            ("a = [1,\n2,\n", 3, "unterminated array starting on line 1"),
            ("a = [1,,2]", 1, "expected a value in the array, found ','"),
            ("t = { a = 1, }", 1, "trailing comma is not allowed"),
            ("t = { a = 1,\n b = 2 }", 1, "an inline table must end with '}' on the line it starts"),
            ("n = 0123", 1, "leading zeros are not allowed"),
            ("n = 1__0", 1, "'_' must stand between two digits"),
            ("n = 1_", 1, "'_' must stand between two digits"),
            ("n = 1.", 1, "digits are missing"),
            ("n = +0x10", 1, "cannot have a sign"),
            ("n = 0o8", 1, "'8' is not a octal digit"),
            ("n = 99999999999999999999", 1, "out of range for a 64-bit integer"),
            ("address = alpha:7700", 1, "strings must be in quotes"),
            ("address = 127.0.0.1", 1, "strings must be in quotes"),
            ("flag = yes", 1, "invalid value 'yes'"),
            ("when = 1979-05-27T07:32:00Z", 1, "dates are not supported here"),
            ("when = 07:32:00", 1, "dates are not supported here"),
            ("a = 1 b = 2", 1, "expected the end of the line after the value, found 'b'"),
            ("[t] x = 1", 1, "expected the end of the line after the table header"),
            ("[t\nx = 1", 1, "expected ']' to close table header [t"),
            ("[[t]\n", 1, "expected ']]' to close table header [[t"),
            ("[]\n", 1, "empty table name in header"),
            ("= 1", 1, "expected a key, found '='"),
            ("caf\u{E9} = 1", 1, "put the key in quotes"),
            ("\"\"\"k\"\"\" = 1", 1, "a key cannot be a multi-line string"),
            ("s = \"a\u{01}b\"", 1, "control character U+0001 must be escaped"),
            ("a = 1\r", 1, "carriage return must be followed by a newline"),
        ] as [(String, Int, String)])
    func reports_syntaxError_withItsLine(text: String, line: Int, message: String) {
        let error = syntaxError(text)
        #expect(error?.line == line, "for \(String(reflecting: text)): \(String(describing: error))")
        #expect(
            error?.message.contains(message) == true, "for \(String(reflecting: text)): \(String(describing: error))")
        #expect(error?.file == "test.toml")
    }

    @Test func describes_syntaxError_asFileLineMessage() {
        let error = syntaxError("a = 1\naddress \"x\"")
        #expect(error?.description == "test.toml:2: expected '=' after key 'address'")
    }

    @Test func counts_linesInsideMultilineStringsAndArrays_forLaterErrors() {
        let error = syntaxError(
            """
            s = '''
            one
            two'''
            a = [
              1,
            ]
            b = @
            """)
        #expect(error?.line == 7)
    }
}
