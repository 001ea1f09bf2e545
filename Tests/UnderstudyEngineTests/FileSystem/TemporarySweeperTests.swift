#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import UnderstudyNode
@testable import UnderstudyFileSystem

@Suite struct TemporarySweeperTests {
    @Test func removesTemporariesAtEveryDepth_keepsPartialCopiesAndData_andDirectoryTimes() throws {
        let root = TestTree.makeTemporaryDirectory("sweep")
        defer { TestTree.remove(root) }
        TestTree.write(root, "a/b/file.txt", "data")
        TestTree.write(root, "a/b/.understudy.tmp.0123456789abcdef", "half a file")
        TestTree.write(root, ".understudy.tmp.00000000000000ff", "another")
        TestTree.write(root, "a/.understudy.part.big.bin", "a basis to resume from")
        TestTree.symlink(root, "a/b/.understudy.tmp.link", target: "/etc/passwd")
        mkdir(root + "/a/.understudy.tmp.dir", 0o700)
        TestTree.setTime(root, "a/b", seconds: 1_500_000_000)
        let outside = TestTree.makeTemporaryDirectory("sweep-outside")
        defer { TestTree.remove(outside) }
        TestTree.write(outside, ".understudy.tmp.not-ours-to-touch", "x")
        TestTree.symlink(root, "elsewhere", target: outside)

        let outcome = TemporarySweeper.sweep(root)
        #expect(outcome.removed == 4, "\(outcome)")
        #expect(outcome.failures.isEmpty)
        let left = (FileManager.default.subpaths(atPath: root) ?? []).filter { $0.contains(".understudy.") }.sorted()
        #expect(left == ["a/.understudy.part.big.bin"])
        #expect(FileManager.default.fileExists(atPath: root + "/a/b/file.txt"))
        #expect(
            FileManager.default.fileExists(atPath: outside + "/.understudy.tmp.not-ours-to-touch"),
            "a symlink is not followed")
        var info = stat()
        stat(root + "/a/b", &info)
        #expect(info.st_mtim.tv_sec == 1_500_000_000, "the directory keeps the time mirrored from the source")
    }

    @Test func aMissingTree_isNothingToDo() {
        #expect(TemporarySweeper.sweep("/nonexistent/tree") == .init())
    }
}
