import Foundation
import Testing
@testable import UnderstudyNode
@testable import UnderstudyState

/// Kept block signatures: stored per share and path, serving only the version they describe, and gone with the
/// file's index row.
@Suite("StateDatabase file signatures")
struct StateDatabaseFileSignatureTests {
    static func file(_ path: String, size: Int64 = 4 << 20, inode: UInt64 = 9) -> FileIndexRecord {
        FileIndexRecord(
            path: path, size: size, mtimeSeconds: 1_700_000_000, mtimeNanoseconds: 5, ctimeSeconds: 1_700_000_001,
            ctimeNanoseconds: 6, inode: inode, contentHash: nil)
    }

    @Test func aStoredSignature_describesOnlyTheVersionItWasMadeOf() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let kept = FileSignatureRecord(file: Self.file("big"), signature: [1, 2, 3])
            try database.storeFileSignatures(share: "g/s", [kept])
            let loaded = try database.fileSignature(share: "g/s", path: "big")
            #expect(loaded == kept)
            #expect(loaded?.describes(Self.file("big")) == true)
            var touched = Self.file("big")
            touched.ctimeNanoseconds += 1
            #expect(loaded?.describes(touched) == false)
            #expect(loaded?.describes(Self.file("big", inode: 10)) == false)
            #expect(loaded?.describes(Self.file("big", size: 5)) == false)
            #expect(try database.fileSignature(share: "g/other", path: "big") == nil)
            // Stored again: replaced.
            try database.storeFileSignatures(share: "g/s", [FileSignatureRecord(file: touched, signature: [4])])
            #expect(try database.fileSignature(share: "g/s", path: "big")?.signature == [4])
        }
    }

    @Test func aSignature_goesWithItsIndexRow_removedOrLeftOutOfAReplacement() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            try database.upsertFileIndex(share: "g/s", [Self.file("a"), Self.file("b"), Self.file("c")])
            try database.storeFileSignatures(
                share: "g/s", ["a", "b", "c"].map { FileSignatureRecord(file: Self.file($0), signature: [7]) })
            try database.removeFromFileIndex(share: "g/s", paths: ["a"])
            #expect(try database.fileSignature(share: "g/s", path: "a") == nil)
            try database.replaceFileIndex(share: "g/s", with: [Self.file("c")])
            #expect(try database.fileSignature(share: "g/s", path: "b") == nil)
            #expect(try database.fileSignature(share: "g/s", path: "c")?.signature == [7])
            #expect(try database.fileSignatureCount(share: "g/s") == 1)
        }
    }
}
