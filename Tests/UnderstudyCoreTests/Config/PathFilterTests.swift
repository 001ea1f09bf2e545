import Testing
import UnderstudyCore

@Suite struct PathFilterTests {
    @Test func excludes_matchingDirectory_andEverythingBelowIt() throws {
        let filter = try PathFilter(include: [], exclude: ["node_modules"])
        #expect(filter.isExcluded("node_modules", isDirectory: true))
        #expect(filter.isExcluded("app/node_modules", isDirectory: true))
        #expect(filter.isExcluded("app/node_modules/left-pad/index.js", isDirectory: false))
        #expect(!filter.isExcluded("app/src/index.js", isDirectory: false))
    }

    @Test func excludes_directoryOnlyPattern_notAFileOfThatName() throws {
        let filter = try PathFilter(include: [], exclude: ["cache/"])
        #expect(!filter.isExcluded("cache", isDirectory: false))
        #expect(!filter.isExcluded("app/cache", isDirectory: false))
        #expect(filter.isExcluded("cache", isDirectory: true))
        #expect(filter.isExcluded("app/cache/entry", isDirectory: false))
    }

    @Test func excludes_anchoredPattern_onlyAtTheShareRoot() throws {
        let filter = try PathFilter(include: [], exclude: ["/tmp", "var/run/"])
        #expect(filter.isExcluded("tmp", isDirectory: true))
        #expect(filter.isExcluded("tmp/a/b", isDirectory: false))
        #expect(!filter.isExcluded("src/tmp", isDirectory: true))
        #expect(!filter.isExcluded("src/tmp/a", isDirectory: false))
        #expect(filter.isExcluded("var/run/app.pid", isDirectory: false))
        #expect(!filter.isExcluded("x/var/run/app.pid", isDirectory: false))
    }

    @Test func excludes_globstarPatterns_atAnyDepth() throws {
        let filter = try PathFilter(include: [], exclude: ["**/build/", "docs/**/*.bak"])
        #expect(filter.isExcluded("a/b/build/out.o", isDirectory: false))
        #expect(filter.isExcluded("docs/x/y/z.bak", isDirectory: false))
        #expect(!filter.isExcluded("src/x/y/z.bak", isDirectory: false))
    }

    @Test func keepsEverything_withoutPatterns() {
        let filter = PathFilter()
        #expect(!filter.isExcluded("a/b/c", isDirectory: false))
        #expect(filter.isIncluded("a/b/c"))
        #expect(filter.isMirrored("a/b/c", isDirectory: false))
    }

    @Test func includes_fileMatchingAnInclude_orInsideAnIncludedDirectory() throws {
        let filter = try PathFilter(include: ["*.conf", "www/", "/etc/ssl"], exclude: [])
        #expect(filter.isIncluded("app.conf"))
        #expect(filter.isIncluded("nested/dir/app.conf"))
        #expect(filter.isIncluded("www/index.html"))
        #expect(filter.isIncluded("sites/www/img/logo.png"))
        #expect(filter.isIncluded("etc/ssl/certs/ca.pem"))
        #expect(!filter.isIncluded("app.txt"))
        #expect(!filter.isIncluded("www"), "a file named www is not a directory")
        #expect(!filter.isIncluded("other/etc/ssl/ca.pem"))
    }

    @Test func mirrors_directoriesUnlessExcluded_evenWithIncludes() throws {
        let filter = try PathFilter(include: ["*.conf"], exclude: ["secret/"])
        #expect(filter.isMirrored("any/dir", isDirectory: true))
        #expect(!filter.isMirrored("any/secret", isDirectory: true))
        #expect(!filter.isMirrored("secret/app.conf", isDirectory: false))
        #expect(filter.isMirrored("a/app.conf", isDirectory: false))
        #expect(!filter.isMirrored("a/app.txt", isDirectory: false))
    }

    @Test func toleratesStraySlashes_inTheGivenPath() throws {
        let filter = try PathFilter(include: [], exclude: ["/tmp"])
        #expect(filter.isExcluded("/tmp/x", isDirectory: false))
        #expect(filter.isExcluded("tmp//x/", isDirectory: false))
        #expect(!filter.isExcluded("", isDirectory: true))
    }

    @Test func throwsFirstBadPattern_withThePattern() {
        #expect(throws: GlobError(pattern: "[x", message: "'[' is not closed by ']'; write '\\[' for a literal '['")) {
            _ = try PathFilter(include: ["ok"], exclude: ["[x"])
        }
    }

    @Test func comparesEqual_byPatternText() throws {
        #expect(try PathFilter(include: ["a"], exclude: ["b/"]) == PathFilter(include: ["a"], exclude: ["b/"]))
        #expect(try PathFilter(include: ["a"], exclude: []) != PathFilter(include: [], exclude: ["a"]))
    }

    /// Not timed: proves that 100,000 paths through a realistic filter finish and agree with a
    /// hand-written predicate.
    @Test func filters_100kPaths_likeAHandWrittenPredicate() throws {
        let filter = try PathFilter(
            include: ["*.txt", "*.md", "keep/"],
            exclude: ["*.o", "build/", "/dir3/", "**/tmp/**", "sub6/*.log", "[0-9]*.md"]
        )
        let extensions = ["txt", "log", "md", "o", "conf"]
        var mirrored = 0
        var expected = 0
        for index in 0..<100_000 {
            let top = "dir\(index % 50)"
            let middle =
                index % 11 == 0 ? "build" : index % 13 == 0 ? "tmp" : index % 17 == 0 ? "keep" : "sub\(index % 7)"
            let name = (index % 3 == 0 ? "\(index % 10)" : "file") + "\(index).\(extensions[index % 5])"
            let path = "\(top)/\(middle)/\(name)"
            if filter.isMirrored(path, isDirectory: false) { mirrored += 1 }

            let ext = extensions[index % 5]
            let excluded =
                ext == "o" || middle == "build" || top == "dir3" || middle == "tmp"
                || (middle == "sub6" && ext == "log") || (ext == "md" && index % 3 == 0)
            let included = ext == "txt" || ext == "md" || middle == "keep"
            if !excluded && included { expected += 1 }
        }
        #expect(mirrored == expected)
        #expect(mirrored > 10_000)
    }
}
