import Testing
import UnderstudyCore

/// What independent trials fed to `check-config`: values that crashed the daemon later, nesting that crashed the
/// parser, huge values echoed back in full. Each gets a `file:line` refusal, and nothing crashes.
@Suite struct HostileConfigurationTests {
    static let base = """
        cluster = "c"
        [nodes.a]
        address = "a:1"
        [nodes.b]
        address = "b:1"
        [groups.g]
        primary = "a"
        standby = "b"

        """
    static let share = """

        [[groups.g.shares]]
        name = "s"
        source = "/s"
        """

    @Test(arguments: ["resync_interval", "verify_interval"])
    func refuses_aDurationThatWouldOverflow_withItsLineAndTheMaximum(key: String) {
        expectSingleConfigurationProblem(
            Self.base + "\(key) = \"9999999999999999999999d\"" + Self.share,
            line: 9, code: .invalidDuration, "above the maximum of 365d")
    }

    @Test func refuses_aHugeWholeNumberOfSeconds_asAboveTheMaximum() {
        expectSingleConfigurationProblem(
            Self.base + "resync_interval = 9223372036854775807" + Self.share,
            line: 9, code: .invalidDuration, "above the maximum of 365d")
    }

    @Test(arguments: [
        ("x = " + String(repeating: "[", count: 50_000), "arrays and inline tables nested more than 32 deep"),
        ("x = " + String(repeating: "{ a = ", count: 50_000), "arrays and inline tables nested more than 32 deep"),
        (
            "x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
            "arrays and inline tables nested more than 32 deep"
        ),
        (Array(repeating: "k", count: 50_000).joined(separator: ".") + " = 1", "a key of more than 32 dotted parts"),
        ("[" + Array(repeating: "t", count: 50_000).joined(separator: ".") + "]", "a key of more than 32 dotted parts"),
    ])
    func refuses_deepNesting_withALine_insteadOfOverflowingTheStack(text: String, message: String) {
        expectSingleConfigurationProblem("cluster = \"c\"\n" + text, line: 2, code: .syntax, message)
    }

    @Test func accepts_nestingUpToTheLimit() throws {
        let nested = String(repeating: "[", count: 32) + "1" + String(repeating: "]", count: 32)
        let document = try TOMLDocument.parse(
            "x = \(nested)\n" + Array(repeating: "k", count: 32).joined(separator: ".") + " = 1", path: "t")
        #expect(document.root["x"] != nil && document.root["k"] != nil)
    }

    @Test func theWorstNestingWithinTheLimits_parses() throws {
        // Inline tables nested 32 deep, each keyed by 32 dotted parts: the deepest tree the limits allow.
        let key = Array(repeating: "k", count: 32).joined(separator: ".")
        let text = "x = " + String(repeating: "{ \(key) = ", count: 31) + "1" + String(repeating: " }", count: 31)
        #expect((try? TOMLDocument.parse(text, path: "t")) != nil)
    }

    @Test func shortens_aHugeBadValue_inItsProblem() {
        let huge = String(repeating: "x", count: 10 * 1024 * 1024)
        let problems = configurationProblems("cluster = \"c\"\n[nodes.a]\naddress = \"\(huge)\"\n")
        #expect(problems.count == 1)
        let message = problems.first?.message ?? ""
        #expect(message.utf8.count < 600, "\(message.prefix(700))")
        #expect(message.contains("(1048576"), "the length is told: \(message.prefix(700))")
        #expect(problems.first?.line == 3)
    }

    @Test func shortens_aHugeBareToken_inASyntaxError() {
        let problems = configurationProblems("cluster = \"c\"\nx = " + String(repeating: "z", count: 2_000_000) + "\n")
        let message = problems.first?.message ?? ""
        #expect(problems.first?.line == 2)
        #expect(message.utf8.count < 600, "\(message.prefix(700))")
    }
}

/// The bytes of a configuration file before they are text.
@Suite struct ConfigurationTextTests {
    @Test func decodes_UTF8() throws {
        #expect(try ConfigurationText.decode(Array("cluster = \"é\"\n".utf8), path: "/c.toml") == "cluster = \"é\"\n")
    }

    @Test func refuses_bytesThatAreNotUTF8_namingTheLineAndColumn() {
        var bytes = Array("cluster = \"c\"\n[nodes.a]\naddress = \"".utf8)
        bytes += [0xC3, 0x28]  // a broken two-byte sequence
        bytes += Array("\"\n".utf8)
        #expect(
            throws: ConfigurationProblem(
                file: "/c.toml", line: 3, code: .notText,
                message:
                    "the file is not UTF-8 text: byte 0xC3 at column 12 does not begin a valid UTF-8 sequence; save the file as UTF-8"
            )
        ) {
            try ConfigurationText.decode(bytes, path: "/c.toml")
        }
    }

    @Test func refuses_aNULByte_namingItsLine() {
        let bytes = Array("cluster = \"c\"\n\n".utf8) + [0] + Array("x".utf8)
        #expect(
            throws: ConfigurationProblem(
                file: "/c.toml", line: 3, code: .notText,
                message: "the file is not text: a NUL byte at column 1; is this the configuration file?")
        ) {
            try ConfigurationText.decode(bytes, path: "/c.toml")
        }
    }
}
