import Testing
@testable import UnderstudyCore

struct RelativePathTests {
    @Test(arguments: [
        "a", "a/b", "dir with space/file name", "ünïcödé/日本語", "line\nbreak", ".hidden", "a/..b", "...", "a/b..c",
    ])
    func accepts_ordinaryRelativePaths(path: String) throws {
        try RelativePath.validate(path)
    }

    @Test(arguments: [
        ("/etc/passwd", "is absolute"), ("..", "'..'"), ("a/../../etc", "'..'"), ("a/./b", "'.'"),
        ("a//b", "empty component"),
        ("a/", "empty component"), ("a\0b", "NUL"),
    ])
    func refuses_unsafePaths(path: String, reason: String) {
        #expect(throws: PathError.self) { try RelativePath.validate(path) }
        do {
            try RelativePath.validate(path)
        } catch {
            #expect(error.description.contains(reason))
        }
    }

    @Test func refuses_overlongNamesAndPaths() {
        #expect(!RelativePath.isValid(String(repeating: "x", count: 256)))
        #expect(RelativePath.isValid(String(repeating: "x", count: 255)))
        #expect(
            !RelativePath.isValid(
                Array(repeating: String(repeating: "y", count: 200), count: 21).joined(separator: "/")))
    }

    @Test func splitsParentAndName() {
        #expect(RelativePath.parent("a/b/c") == "a/b")
        #expect(RelativePath.parent("a") == "")
        #expect(RelativePath.parent("") == nil)
        #expect(RelativePath.name("a/b/c") == "c")
        #expect(RelativePath.join("", "x") == "x")
        #expect(RelativePath.join("a", "x") == "a/x")
        #expect(RelativePath.isWithin("a/b", "a"))
        #expect(!RelativePath.isWithin("ab", "a"))
        #expect(RelativePath.isWithin("a", "a"))
    }

    @Test func shown_namesTheRoot_quotesAPath_andShortensALongOne() {
        #expect(RelativePath.shown("") == "the share root", "a message never names an empty path")
        #expect(RelativePath.shown("a/b c.txt") == "\"a/b c.txt\"")
        let long = Array(repeating: String(repeating: "d", count: 250), count: 18).joined(separator: "/")
        let shown = RelativePath.shown(long)
        #expect(shown.utf8.count < 160, "\(shown)")
        #expect(shown.hasSuffix("(4517 bytes, 18 components)"), "\(shown)")
    }
}
