import Testing
import UnderstudyCore

struct ScopedPathTests {
    @Test func minimal_dropsWhatARecursiveAncestorCovers_andPrefersRecursive() {
        let scopes = [
            ScopedPath("a/b", recursive: false), ScopedPath("a", recursive: true),
            ScopedPath("a.txt", recursive: false),
            ScopedPath("ab/c", recursive: false), ScopedPath("x", recursive: false), ScopedPath("x", recursive: true),
            ScopedPath("a/b/c/d", recursive: true),
        ]
        #expect(
            ScopedPath.minimal(scopes) == [
                ScopedPath("a", recursive: true), ScopedPath("a.txt", recursive: false),
                ScopedPath("ab/c", recursive: false),
                ScopedPath("x", recursive: true),
            ])
    }

    @Test func rootRecursive_coversEverything_butNonRecursiveRootOnlyItself() {
        #expect(
            ScopedPath.minimal([ScopedPath("", recursive: true), ScopedPath("a/b", recursive: false)]) == [
                ScopedPath("", recursive: true)
            ])
        #expect(ScopedPath.minimal([ScopedPath("", recursive: false), ScopedPath("a", recursive: false)]).count == 2)
        #expect(ScopedPath("dir", recursive: true).covers("dir/x"))
        #expect(!ScopedPath("dir", recursive: true).covers("dir2"))
        #expect(!ScopedPath("dir", recursive: false).covers("dir/x"))
    }
}
