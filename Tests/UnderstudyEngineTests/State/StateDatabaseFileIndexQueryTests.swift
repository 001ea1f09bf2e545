import Foundation
import GRDB
import Testing
@testable import UnderstudyNode
@testable import UnderstudyState

/// The file index as the daemon reads it: a directory, a path or an inode at a time, its totals kept by each write.
@Suite("StateDatabase file index queries")
struct StateDatabaseFileIndexQueryTests {
    @Test func aDirectorysRecords_areItsOwnFiles_notThoseBelowIt_norALookAlikeSibling() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let paths = ["top", "a/one", "a/two", "a/b/deep", "a-b/near", "a0/near", "ab/near"]
            try database.upsertFileIndex(share: "g/s", paths.map { entry($0, size: 1) })
            try database.upsertFileIndex(share: "g/other", [entry("a/one", size: 1)])

            #expect(Set(try database.fileIndexRecords(share: "g/s", directory: "a").map(\.path)) == ["a/one", "a/two"])
            #expect(try database.fileIndexRecords(share: "g/s", directory: "").map(\.path) == ["top"])
            #expect(try database.fileIndexRecords(share: "g/s", directory: "a/b").map(\.path) == ["a/b/deep"])
            #expect(try database.fileIndexRecords(share: "g/s", directory: "missing").isEmpty)
            #expect(try database.fileIndexRecord(share: "g/s", path: "a/b/deep") == entry("a/b/deep", size: 1))
            #expect(try database.fileIndexRecord(share: "g/s", path: "a/b") == nil)
        }
    }

    @Test func removingADirectory_takesEverythingBelowIt_andKeepsLookAlikes_andCountsWhatWent() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let paths = ["a", "a/one", "a/b/deep", "a-b/near", "a0/near", "ab/near", "a.txt"]
            try database.upsertFileIndex(share: "g/s", paths.enumerated().map { entry($1, size: Int64($0 + 1)) })
            try database.storeFileSignatures(
                share: "g/s", [FileSignatureRecord(file: entry("a/b/deep", size: 3), signature: [1])])

            let change = try database.removeFromFileIndex(share: "g/s", paths: ["a"], andBelow: true)
            #expect(change == FileIndexTotals(files: -3, bytes: -(1 + 2 + 3)))
            #expect(Set(try database.fileIndex(share: "g/s").keys) == ["a-b/near", "a0/near", "ab/near", "a.txt"])
            #expect(try database.fileSignature(share: "g/s", path: "a/b/deep") == nil)
            #expect(try database.fileIndexTotals(share: "g/s") == FileIndexTotals(files: 4, bytes: 4 + 5 + 6 + 7))
        }
    }

    @Test func upsertsReturnWhatTheyChanged_andTheTotalsAgree() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            #expect(
                try database.upsertFileIndex(share: "g/s", [entry("x", size: 10), entry("y", size: 5)])
                    == .init(files: 2, bytes: 15))
            #expect(
                try database.upsertFileIndex(share: "g/s", [entry("x", size: 4), entry("z", size: 1)])
                    == .init(files: 1, bytes: -5))
            #expect(
                try database.removeFromFileIndex(share: "g/s", paths: ["y", "never"]) == .init(files: -1, bytes: -5))
            #expect(try database.fileIndexTotals(share: "g/s") == FileIndexTotals(files: 2, bytes: 5))
            #expect(try database.fileIndexTotals(share: "g/none") == FileIndexTotals())
        }
    }

    @Test func byInode_findsOnlyRecordsThatHoldAHash() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            try database.upsertFileIndex(
                share: "g/s",
                [
                    entry("hashed", size: 1, inode: 1 << 63, hash: Array(repeating: 9, count: 32)),
                    entry("unhashed", size: 1, inode: 1 << 63), entry("other", size: 1, inode: 5),
                ])
            #expect(try database.fileIndexRecords(share: "g/s", inode: 1 << 63).map(\.path) == ["hashed"])
            #expect(try database.fileIndexRecords(share: "g/s", inode: 6).isEmpty)
        }
    }

    @Test func aSample_isSpreadEvenlyOverTheFilesOfTheSizesAsked() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let records = (0..<1000).map { entry(String(format: "d/f%04d", $0), size: $0 % 2 == 0 ? 100 : 1_000_000) }
            try database.upsertFileIndex(share: "g/s", records)
            let sample = try database.fileIndexPaths(share: "g/s", sizes: 50...200, spreadOver: 10)
            #expect(sample == (0..<10).map { String(format: "d/f%04d", $0 * 100) })
            #expect(try database.fileIndexPaths(share: "g/s", sizes: 50...200, spreadOver: 1000).count == 500)
            #expect(try database.fileIndexPaths(share: "g/s", limit: 2) == ["d/f0000", "d/f0001"])
        }
    }

    @Test func theIndexPathsAbsentFromAScan_areListed() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            try database.upsertFileIndex(share: "g/s", ["a", "b", "c/d"].map { entry($0, size: 1) })
            #expect(Set(try database.fileIndexPaths(share: "g/s", absentFrom: ["a", "c/d", "new"])) == ["b"])
        }
    }

    @Test func anIndexWrittenBeforeDirectoriesWereStored_getsThemWhenOpened() throws {
        try withStateTestDirectory { temp in
            var older = StateSchema.current
            older.migrations.removeAll { $0.identifier == "v7-file-index-by-directory-and-inode" }
            do {
                let database = try StateDatabase(directory: temp.path, schema: older)
                try database.writing("fill") { db in
                    for path in ["root-file", "a/b/c.txt", "a/x", "ab/y"] {
                        try db.execute(
                            sql: """
                                INSERT INTO file_index (share, path, size, mtime_s, mtime_ns, ctime_s, ctime_ns, inode)
                                VALUES ('g/s', ?, 1, 0, 0, 0, 0, 1)
                                """, arguments: [path])
                    }
                }
            }
            let upgraded = try StateDatabase(directory: temp.path)
            #expect(try upgraded.fileIndexRecords(share: "g/s", directory: "").map(\.path) == ["root-file"])
            #expect(try upgraded.fileIndexRecords(share: "g/s", directory: "a").map(\.path) == ["a/x"])
            #expect(try upgraded.fileIndexRecords(share: "g/s", directory: "a/b").map(\.path) == ["a/b/c.txt"])
            #expect(try upgraded.fileIndexRecords(share: "g/s", directory: "ab").map(\.path) == ["ab/y"])
            #expect(try upgraded.fileIndexTotals(share: "g/s") == FileIndexTotals(files: 4, bytes: 4))
        }
    }
}

private func entry(_ path: String, size: Int64, inode: UInt64 = 7, hash: [UInt8]? = nil) -> FileIndexRecord {
    FileIndexRecord(
        path: path, size: size, mtimeSeconds: 1_700_000_000, mtimeNanoseconds: 1,
        ctimeSeconds: 1_700_000_100, ctimeNanoseconds: 1, inode: inode, contentHash: hash)
}
