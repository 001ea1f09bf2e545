#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudyState

/// Full comparisons in slices (`compare_slice`), between two real daemons over loopback on real trees: slices that
/// begin and end inside directories, whose times must come back; hard links and renames across slices.
@Suite(.serialized)
struct SlicedComparisonMirrorTests {
    static let sliced = "live = false\ncompare_slice = 1000"

    /// 26 directories of 100 files, names around "/" ("d05 x", "d05.txt" sort between "d05" and "d05/…").
    private static func populate(_ s: String) {
        for directory in 0..<26 {
            let name = String(format: "d%02d", directory)
            for file in 0..<100 { TestTree.write(s, "\(name)/f\(file)", "\(name) file \(file)") }
            TestTree.write(s, "\(name).txt", "beside \(name)")
            TestTree.write(s, "\(name) x", "also beside \(name)")
        }
        TestTree.write(s, "a-first", TestTree.randomBytes(3000, seed: 1))
        mkdir(s + "/zz", 0o755)
        link(s + "/a-first", s + "/zz/second")
        TestTree.setTime(s, "d13", seconds: 1_500_000_000, nanoseconds: 7)
    }

    private static func inode(_ path: String) -> UInt64 {
        var info = stat()
        lstat(path, &info)
        return UInt64(info.st_ino)
    }

    @Test func aTreeLargerThanASlice_isMirroredInSlices_withHardLinksAndDirectoryTimesAcrossThem() async throws {
        let cluster = try TestCluster(label: "sliced", groupExtra: Self.sliced)
        defer { Task { await cluster.remove() } }
        let s = cluster.source
        Self.populate(s)
        try cluster.start("alpha")
        try cluster.start("beta")
        let first = try await cluster.sync()
        #expect(first.ok, "\(first)")
        #expect(try await cluster.differences() == [])
        #expect(
            Self.inode(cluster.replica + "/a-first") == Self.inode(cluster.replica + "/zz/second"),
            "a hard link whose names are in different slices stays a link")
        #expect(
            !(await cluster.logs.waitFor("slices of at most 1000 entries")).isEmpty,
            "the comparison went in slices: \(cluster.recentLog)")

        // A change, a directory removed, files added to a directory that straddles slices, a new directory larger
        // than a slice, a rename within a directory and one across slices, a new name of the linked file.
        TestTree.write(s, "d03/f7", "changed")
        TestTree.remove(s + "/d10")
        for file in 0..<30 { TestTree.write(s, "d20/new\(file)", "new in d20 \(file)") }
        for file in 0..<1200 { TestTree.write(s, "new/n\(file)", "new \(file)") }
        rename(s + "/d05/f1", s + "/d05/f1-renamed")
        rename(s + "/d01/f2", s + "/zz/from-d01")
        link(s + "/a-first", s + "/zz/third")
        TestTree.setTime(s, "d20", seconds: 1_600_000_000, nanoseconds: 9)
        let second = try await cluster.sync()
        #expect(second.ok, "\(second)")
        #expect(try await cluster.differences() == [])
        #expect(Self.inode(cluster.replica + "/zz/third") == Self.inode(cluster.replica + "/a-first"))
        // The primary's file index keeps no record of what the slices no longer found: the removed directory's
        // files (pruned at the end) and the old name of the file renamed across slices (pruned by its slice).
        var stale: [String] = []
        for _ in 0..<100 {
            stale = try StateDatabase(directory: cluster.root + "/alpha-state").fileIndex(share: "files/data").keys
                .filter { $0.hasPrefix("d10/") || $0 == "d01/f2" || $0 == "d05/f1" }
            if stale.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(stale.isEmpty, "\(stale.count) stale records, e.g. \(stale.prefix(3))")
        let plan = try #require(second.syncResults?.first?.plan)
        #expect(plan.renames >= 1, "the rename within a slice travels as a rename: \(plan)")
        #expect(plan.files >= 1230)
        let again = try #require(try await cluster.sync().syncResults?.first)
        #expect(again.ok)
        #expect(again.plan?.operationCount == 0, "nothing changed, nothing planned: \(String(describing: again.plan))")
    }
}
