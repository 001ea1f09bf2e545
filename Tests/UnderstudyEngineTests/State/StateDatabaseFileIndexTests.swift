import Foundation
import Testing
@testable import UnderstudyNode
@testable import UnderstudyState

@Suite("StateDatabase file index")
struct StateDatabaseFileIndexTests {
    @Test func upsert_insertsNewPaths_andUpdatesKnownOnes() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let a = record("a", size: 1)
            let b = record("dir/b", size: 2, hash: hash(1))
            try database.upsertFileIndex(share: "g/s", [a, b])
            #expect(try database.fileIndex(share: "g/s") == ["a": a, "dir/b": b])

            var changedB = b
            changedB.size = 20
            changedB.mtimeNanoseconds = 999_999_999
            changedB.contentHash = nil
            let c = record("c", size: 3)
            try database.upsertFileIndex(share: "g/s", [changedB, c])
            #expect(try database.fileIndex(share: "g/s") == ["a": a, "dir/b": changedB, "c": c])
        }
    }

    @Test func keepsShares_apart() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            try database.upsertFileIndex(share: "g/one", [record("same", size: 1)])
            try database.upsertFileIndex(share: "g/two", [record("same", size: 2)])
            try database.removeFromFileIndex(share: "g/one", paths: ["same"])

            #expect(try database.fileIndex(share: "g/one").isEmpty)
            #expect(try database.fileIndex(share: "g/two")["same"]?.size == 2)
            #expect(try database.fileIndex(share: "g/unknown").isEmpty)
        }
    }

    @Test func storesFullRangeOfInodesAndTimes() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let extreme = FileIndexRecord(
                path: "ünïcode/ file with spaces", size: .max,
                mtimeSeconds: -1, mtimeNanoseconds: 999_999_999,
                ctimeSeconds: .min, ctimeNanoseconds: 0,
                inode: .max, contentHash: hash(255))
            let highBit = record("high-bit", size: 0, inode: 1 << 63)
            try database.upsertFileIndex(share: "g/s", [extreme, highBit])

            let loaded = try database.fileIndex(share: "g/s")
            #expect(loaded[extreme.path] == extreme)
            #expect(loaded["high-bit"]?.inode == 1 << 63)
        }
    }

    @Test func remove_deletesOnlyTheNamedPaths_andIgnoresUnknownOnes() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            try database.upsertFileIndex(
                share: "g/s", [record("a", size: 1), record("b", size: 2), record("c", size: 3)])
            try database.removeFromFileIndex(share: "g/s", paths: ["a", "c", "never-there"])
            #expect(Set(try database.fileIndex(share: "g/s").keys) == ["b"])
        }
    }

    @Test func replace_swapsTheWholeIndexOfOneShare() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            try database.upsertFileIndex(share: "g/s", [record("old1", size: 1), record("kept", size: 2)])
            try database.upsertFileIndex(share: "g/other", [record("x", size: 9)])

            let kept = record("kept", size: 22, hash: hash(7))
            try database.replaceFileIndex(share: "g/s", with: [kept, record("new", size: 3)])
            #expect(try database.fileIndex(share: "g/s") == ["kept": kept, "new": record("new", size: 3)])
            #expect(try database.fileIndex(share: "g/other").count == 1)

            try database.replaceFileIndex(share: "g/s", with: [])
            #expect(try database.fileIndex(share: "g/s").isEmpty)
        }
    }

    @Test func refuses_hashThatIsNot32Bytes_andWritesNothing() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            try database.upsertFileIndex(share: "g/s", [record("before", size: 1)])
            let bad = record("bad", size: 1, hash: [1, 2, 3])

            let upsertError = try #require(throws: StateError.self) {
                try database.upsertFileIndex(share: "g/s", [record("good", size: 1), bad])
            }
            #expect(upsertError.code == .invalidRecord)
            #expect(upsertError.message.contains("bad"))
            #expect(throws: StateError.self) {
                try database.replaceFileIndex(share: "g/s", with: [bad])
            }
            #expect(Set(try database.fileIndex(share: "g/s").keys) == ["before"])
        }
    }

    @Test func upserts20000Records_inOneCall() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let records = (0..<20_000).map { index in
                record(
                    "tree/\(index / 100)/file-\(index).dat", size: Int64(index), inode: UInt64(index) + 1,
                    hash: index.isMultiple(of: 2) ? hash(UInt8(index % 256)) : nil)
            }
            let clock = ContinuousClock()
            let upsert = try clock.measure { try database.upsertFileIndex(share: "g/big", records) }
            var loaded: [String: FileIndexRecord] = [:]
            let read = try clock.measure { loaded = try database.fileIndex(share: "g/big") }
            let replace = try clock.measure { try database.replaceFileIndex(share: "g/big", with: records) }
            // Not a timed test: the figures are printed for the record only.
            print("state: 20,000 upserts \(upsert), read back \(read), replace \(replace)")

            #expect(loaded.count == 20_000)
            #expect(loaded["tree/123/file-12345.dat"] == records[12345])
            #expect(try database.fileIndex(share: "g/big").count == 20_000)
        }
    }
}

private func record(_ path: String, size: Int64, inode: UInt64 = 7, hash: [UInt8]? = nil) -> FileIndexRecord {
    FileIndexRecord(
        path: path, size: size, mtimeSeconds: 1_700_000_000 + size, mtimeNanoseconds: 123_456_789,
        ctimeSeconds: 1_700_000_100, ctimeNanoseconds: 1, inode: inode, contentHash: hash)
}

private func hash(_ byte: UInt8) -> [UInt8] {
    (0..<32).map { UInt8(truncatingIfNeeded: Int($0) &+ Int(byte)) }
}
