import Testing
@testable import UnderstudyCore

@Suite struct GlobPatternTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var pattern: String
        var path: String
        var isDirectory: Bool
        var matches: Bool
        var testDescription: String { "\(pattern) ~ \(path)\(isDirectory ? "/" : "") → \(matches)" }
    }

    static let cases: [Case] = [
        // A pattern without "/" matches a name at any depth.
        Case(pattern: "*.log", path: "a.log", isDirectory: false, matches: true),
        Case(pattern: "*.log", path: "deep/down/a.log", isDirectory: false, matches: true),
        Case(pattern: "*.log", path: "a.log.txt", isDirectory: false, matches: false),
        Case(pattern: "*.log", path: ".log", isDirectory: false, matches: true),
        Case(pattern: "*", path: ".hidden", isDirectory: false, matches: true),
        Case(pattern: "*.LOG", path: "a.log", isDirectory: false, matches: false),
        Case(pattern: "core.*", path: "dumps/core.1234", isDirectory: false, matches: true),
        Case(pattern: "*~", path: "notes.txt~", isDirectory: false, matches: true),
        Case(pattern: "Thumbs.db", path: "photos/Thumbs.db", isDirectory: false, matches: true),
        Case(pattern: "Thumbs.db", path: "photos/Thumbs.dbx", isDirectory: false, matches: false),
        // A trailing "/" matches directories only.
        Case(pattern: "build/", path: "build", isDirectory: true, matches: true),
        Case(pattern: "build/", path: "build", isDirectory: false, matches: false),
        Case(pattern: "build/", path: "src/build", isDirectory: true, matches: true),
        // A leading or middle "/" anchors to the share root.
        Case(pattern: "/build", path: "build", isDirectory: false, matches: true),
        Case(pattern: "/build", path: "src/build", isDirectory: false, matches: false),
        Case(pattern: "/a/b/", path: "a/b", isDirectory: true, matches: true),
        Case(pattern: "/a/b/", path: "a/b", isDirectory: false, matches: false),
        Case(pattern: "docs/*.md", path: "docs/a.md", isDirectory: false, matches: true),
        Case(pattern: "docs/*.md", path: "docs/sub/a.md", isDirectory: false, matches: false),
        Case(pattern: "docs/*.md", path: "x/docs/a.md", isDirectory: false, matches: false),
        Case(pattern: "src/*/test", path: "src/a/test", isDirectory: false, matches: true),
        Case(pattern: "src/*/test", path: "src/a/b/test", isDirectory: false, matches: false),
        // `**` crosses directories.
        Case(pattern: "docs/**/*.md", path: "docs/a.md", isDirectory: false, matches: true),
        Case(pattern: "docs/**/*.md", path: "docs/x/y/a.md", isDirectory: false, matches: true),
        Case(pattern: "docs/**/*.md", path: "docs/x/y/a.txt", isDirectory: false, matches: false),
        Case(pattern: "docs/**/*.md", path: "other/docs/a.md", isDirectory: false, matches: false),
        Case(pattern: "**/build/", path: "build", isDirectory: true, matches: true),
        Case(pattern: "**/build/", path: "a/b/build", isDirectory: true, matches: true),
        Case(pattern: "**/build/", path: "a/b/build", isDirectory: false, matches: false),
        Case(pattern: "logs/**", path: "logs", isDirectory: true, matches: false),
        Case(pattern: "logs/**", path: "logs/a", isDirectory: false, matches: true),
        Case(pattern: "logs/**", path: "logs/a/b", isDirectory: false, matches: true),
        Case(pattern: "**", path: "anything/at/all", isDirectory: false, matches: true),
        Case(pattern: "a/**/b", path: "a/b", isDirectory: false, matches: true),
        Case(pattern: "a/**/b", path: "a/x/y/b", isDirectory: false, matches: true),
        Case(pattern: "a/**/b", path: "a/x/y/c", isDirectory: false, matches: false),
        Case(pattern: "a/**/b/**/c", path: "a/1/b/2/3/c", isDirectory: false, matches: true),
        Case(pattern: "a/**/b/**/c", path: "a/1/b/2/3/d", isDirectory: false, matches: false),
        Case(pattern: "**/x/**/y", path: "x/x/y/z/y", isDirectory: false, matches: true),
        // `*`, `?` and classes stay within one name.
        Case(pattern: "a*b*c", path: "aXbYc", isDirectory: false, matches: true),
        Case(pattern: "a*b*c", path: "abc", isDirectory: false, matches: true),
        Case(pattern: "a*b*c", path: "aXbY", isDirectory: false, matches: false),
        Case(pattern: "*a*a*a", path: "aaaa", isDirectory: false, matches: true),
        Case(pattern: "/a*c", path: "ab/c", isDirectory: false, matches: false),
        Case(pattern: "?.txt", path: "a.txt", isDirectory: false, matches: true),
        Case(pattern: "?.txt", path: "ab.txt", isDirectory: false, matches: false),
        Case(pattern: "?.txt", path: "\u{E9}.txt", isDirectory: false, matches: true),
        Case(pattern: "*?", path: "\u{E9}", isDirectory: false, matches: true),
        Case(pattern: "[abc].txt", path: "b.txt", isDirectory: false, matches: true),
        Case(pattern: "[abc].txt", path: "d.txt", isDirectory: false, matches: false),
        Case(pattern: "[a-c]x", path: "bx", isDirectory: false, matches: true),
        Case(pattern: "[a-c]x", path: "dx", isDirectory: false, matches: false),
        Case(pattern: "[!a-c]x", path: "dx", isDirectory: false, matches: true),
        Case(pattern: "[!a-c]x", path: "ax", isDirectory: false, matches: false),
        Case(pattern: "[^a]x", path: "bx", isDirectory: false, matches: true),
        Case(pattern: "[\u{E9}-\u{EB}]", path: "\u{EA}", isDirectory: false, matches: true),
        Case(pattern: "*[0-9]", path: "file\u{E9}", isDirectory: false, matches: false),
        Case(pattern: "[]]", path: "]", isDirectory: false, matches: true),
        Case(pattern: "[a-]", path: "-", isDirectory: false, matches: true),
        Case(pattern: "file[0-9][0-9].bak", path: "file42.bak", isDirectory: false, matches: true),
        // `\` makes the next character literal.
        Case(pattern: "\\*.txt", path: "*.txt", isDirectory: false, matches: true),
        Case(pattern: "\\*.txt", path: "a.txt", isDirectory: false, matches: false),
        Case(pattern: "\\[x\\]", path: "[x]", isDirectory: false, matches: true),
        Case(pattern: "\\!important", path: "!important", isDirectory: false, matches: true),
        Case(pattern: "[\\]]", path: "]", isDirectory: false, matches: true),
    ]

    @Test(arguments: cases)
    func matches_asGitignoreDoes(_ testCase: Case) throws {
        let pattern = try GlobPattern(testCase.pattern)
        #expect(pattern.matches(testCase.path, isDirectory: testCase.isDirectory) == testCase.matches)
    }

    @Test(
        arguments: [
            ("", "the pattern is empty"),
            ("/", "names no file or directory"),
            ("[abc", "'[' is not closed by ']'"),
            ("a\\", "unfinished escape"),
            ("a**", "'**' must be a whole path component"),
            ("***", "'**' must be a whole path component"),
            ("a//b", "empty path component"),
            ("../x", "'..' components are not allowed"),
            ("./x", "'.' components are not allowed"),
            ("!keep.txt", "'!' negation is not supported"),
            ("[z-a]", "the range 'z-a' is reversed"),
            ("[[:alpha:]]", "named classes like '[:alpha:]' are not supported"),
        ] as [(String, String)])
    func refuses_badPattern_sayingWhy(pattern: String, reason: String) {
        #expect {
            _ = try GlobPattern(pattern)
        } throws: { error in
            guard let error = error as? GlobError else { return false }
            return error.pattern == pattern && error.message.contains(reason)
                && error.description.hasPrefix("invalid pattern '\(pattern)': ")
        }
    }

    @Test func classifies_anchoring_andDirectoryOnly() throws {
        #expect(try GlobPattern("*.log").isAnchored == false)
        #expect(try GlobPattern("cache/").isAnchored == false)
        #expect(try GlobPattern("cache/").isDirectoryOnly == true)
        #expect(try GlobPattern("/cache").isAnchored == true)
        #expect(try GlobPattern("a/b").isAnchored == true)
        #expect(try GlobPattern("**/b").isAnchored == true)
    }
}
