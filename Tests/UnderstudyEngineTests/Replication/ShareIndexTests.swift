import Foundation
import Logging
import Testing
import UnderstudyState
import UnderstudySupport
@testable import UnderstudyNode
@testable import UnderstudyReplication

/// The share index on disk against the index it replaced, a dictionary in memory: the same random changes to both,
/// and every lookup the same, whether the writes are held back in memory or already in the database, and after a
/// restart.
struct ShareIndexTests {
    /// The index as it was kept in memory before (ShareIndex up to stop 28), the reference.
    struct Model {
        var records: [String: FileIndexRecord] = [:]

        mutating func apply(records changed: [FileIndexRecord], removed: [String], renamed: [String: String]) {
            var changed = changed
            for index in changed.indices where changed[index].contentHash == nil {
                if let from = renamed[changed[index].path] { changed[index].contentHash = records[from]?.contentHash }
            }
            for path in removed {
                records[path] = nil
                for key in records.keys where key.hasPrefix(path + "/") { records[key] = nil }
            }
            for record in changed { records[record.path] = record }
        }

        func inDirectory(_ directory: String) -> [String: FileIndexRecord] {
            records.filter { $0.value.directory == directory }
        }
    }

    static let directories = ["", "a", "a/b", "a/b/c", "a-b", "ab", "d"]

    static func randomRecord(_ generator: inout DeltaTestBytes) -> FileIndexRecord {
        let directory = directories.randomElement(using: &generator)!
        let name = "f\(Int.random(in: 0..<6, using: &generator))"
        let size = Int64.random(in: 0...5000, using: &generator)
        let hashed = Bool.random(using: &generator)
        return FileIndexRecord(
            path: directory.isEmpty ? name : directory + "/" + name, size: size,
            mtimeSeconds: size, mtimeNanoseconds: 1, ctimeSeconds: 2, ctimeNanoseconds: 3,
            inode: UInt64.random(in: 1...40, using: &generator),
            contentHash: hashed ? Array(repeating: UInt8(truncatingIfNeeded: size), count: 32) : nil)
    }

    static func expectSame(_ index: ShareIndex, _ model: Model, _ moment: String) {
        for directory in directories + ["a/b/c/none"] {
            #expect(index.records(inDirectory: directory) == model.inDirectory(directory), "\(moment): \(directory)")
        }
        for directory in directories {
            for number in 0..<6 {
                let path = directory.isEmpty ? "f\(number)" : directory + "/f\(number)"
                #expect(index.record(at: path) == model.records[path], "\(moment): \(path)")
            }
        }
    }

    @Test func randomChanges_readTheSameAsTheInMemoryIndex_heldBackWrittenAndAfterARestart() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let logger = Logger(label: "test")
            var index: ShareIndex? = try ShareIndex(
                key: "g/s", database: database, logger: logger, clock: SystemClock())
            var model = Model()
            var generator = DeltaTestBytes(seed: 16)  // seeded: a failure repeats
            for round in 0..<150 {
                let holding = round % 3 != 2
                if holding { index!.persistence.suspend() }
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let records = (0..<Int.random(in: 0...6, using: &generator)).map { _ in
                        Self.randomRecord(&generator)
                    }
                    let known = Array(model.records.keys)
                    var removed: [String] = []
                    if Int.random(in: 0..<3, using: &generator) == 0 {
                        removed.append(Self.directories.dropFirst().randomElement(using: &generator)!)
                    }
                    if let path = known.randomElement(using: &generator), Bool.random(using: &generator) {
                        removed.append(path)
                    }
                    var renamed: [String: String] = [:]
                    if let from = known.randomElement(using: &generator), let to = records.last,
                        to.contentHash == nil, !removed.contains(from)
                    {
                        renamed[to.path] = from
                    }
                    index!.apply(records: records, removed: removed, renamed: renamed)
                    model.apply(records: records, removed: removed, renamed: renamed)
                    Self.expectSame(index!, model, "round \(round)")
                }
                if holding { index!.persistence.resume() }
                if round % 25 == 24 {
                    // A restart: what was written is what a new index finds.
                    index!.waitUntilPersisted()
                    index = try ShareIndex(key: "g/s", database: database, logger: logger, clock: SystemClock())
                    Self.expectSame(index!, model, "after a restart at round \(round)")
                }
            }
            index!.waitUntilPersisted()
            Self.expectSame(index!, model, "at the end")
            #expect(try database.fileIndex(share: "g/s") == model.records)
            #expect(index!.fileCount == model.records.count)
            #expect(index!.totalBytes == model.records.values.reduce(0) { $0 + $1.size })
        }
    }

    @Test func aRenamedFile_isFoundByInode_whileItsWriteIsHeldBack_andAfter() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let index = try ShareIndex(
                key: "g/s", database: database, logger: Logger(label: "test"), clock: SystemClock())
            let hash = Array(repeating: UInt8(4), count: 32)
            let old = FileIndexRecord(
                path: "old", size: 3, mtimeSeconds: 1, mtimeNanoseconds: 2, ctimeSeconds: 3, ctimeNanoseconds: 4,
                inode: 77, contentHash: hash)
            index.persistence.suspend()
            index.apply(records: [old], removed: [])
            #expect(index.hashedRecord(inode: 77) == old)
            #expect(index.contentHash(of: "old", inode: 77) == hash)
            #expect(index.contentHash(of: "old", inode: 78) == nil)
            index.persistence.resume()
            index.waitUntilPersisted()
            #expect(index.hashedRecord(inode: 77) == old)

            index.persistence.suspend()
            index.apply(records: [], removed: ["old"])
            #expect(index.hashedRecord(inode: 77) == nil, "removed, though the database still has it")
            index.persistence.resume()
            index.waitUntilPersisted()
            #expect(index.hashedRecord(inode: 77) == nil)
        }
    }

    @Test func retain_dropsWhatAScanDidNotFind_afterTheChangesBeforeIt() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let index = try ShareIndex(
                key: "g/s", database: database, logger: Logger(label: "test"), clock: SystemClock())
            let records = ["a", "b", "c/d"].map {
                FileIndexRecord(
                    path: $0, size: 10, mtimeSeconds: 1, mtimeNanoseconds: 2, ctimeSeconds: 3, ctimeNanoseconds: 4,
                    inode: 5, contentHash: nil)
            }
            index.persistence.suspend()
            index.apply(records: records, removed: [])
            #expect(
                index.bytes(of: ["a", "b", "c/d", "none"]) == 30, "the pending records count before they are written")
            index.retain(only: ["a", "c/d"])
            index.persistence.resume()
            index.waitUntilPersisted()
            #expect(Set(try database.fileIndex(share: "g/s").keys) == ["a", "c/d"])
            #expect(index.fileCount == 2)
            #expect(index.totalBytes == 20)
            #expect(index.bytes(of: ["a", "b", "c/d", "none"]) == 20)
        }
    }

    @Test func retainingASlice_dropsOnlyWhatTheSliceDidNotFind_withinItsBoundsAndDirectories() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let index = try ShareIndex(
                key: "g/s", database: database, logger: Logger(label: "test"), clock: SystemClock())
            let records = ["a", "b", "b c", "b/x", "b/y", "c", "d/e", "gone/f", "gone/deeper/g"].map {
                FileIndexRecord(
                    path: $0, size: 10, mtimeSeconds: 1, mtimeNanoseconds: 2, ctimeSeconds: 3, ctimeNanoseconds: 4,
                    inode: 5, contentHash: nil)
            }
            index.apply(records: records, removed: [])
            // The slice after "b" up to "b/y", which read "" and "b": "b c" and "b/x" are in it and gone; "a", "b" and
            // "c" are outside its bounds.
            index.retain(only: ["b/y"], inDirectories: ["", "b"], after: "b", through: "b/y")
            index.waitUntilPersisted()
            #expect(
                Set(try database.fileIndex(share: "g/s").keys) == [
                    "a", "b", "b/y", "c", "d/e", "gone/f", "gone/deeper/g",
                ])
            // The last slice, from "b/y" on with no end, read "" and "d": "d/e" is gone; "gone" is in no directory read.
            index.retain(only: ["c"], inDirectories: ["", "d"], after: "b/y", through: nil)
            index.waitUntilPersisted()
            #expect(
                Set(try database.fileIndex(share: "g/s").keys) == ["a", "b", "b/y", "c", "gone/f", "gone/deeper/g"])
            // At the end, the directories no slice found go with everything below them.
            index.retain(directories: ["", "b", "d"])
            index.waitUntilPersisted()
            #expect(Set(try database.fileIndex(share: "g/s").keys) == ["a", "b", "b/y", "c"])
            #expect(index.fileCount == 4)
        }
    }
}
