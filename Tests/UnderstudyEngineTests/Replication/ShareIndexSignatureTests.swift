import Logging
import Testing
import UnderstudyDelta
import UnderstudyState
import UnderstudySupport
@testable import UnderstudyNode
@testable import UnderstudyReplication

/// The standby's kept signatures through its share index: stored behind in order with the index, served for the
/// version they describe, and removed with the file.
struct ShareIndexSignatureTests {
    static func file(_ path: String, size: Int64 = 2 << 20, ctime: Int32 = 6) -> FileIndexRecord {
        FileIndexRecord(
            path: path, size: size, mtimeSeconds: 1_700_000_000, mtimeNanoseconds: 5, ctimeSeconds: 1_700_000_001,
            ctimeNanoseconds: ctime, inode: 9, contentHash: nil)
    }

    @Test func aKeptSignature_servesItsVersion_andGoesWithTheFile() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let index = try ShareIndex(
                key: "g/s", database: database, logger: Logger(label: "test"), clock: SystemClock())
            let signature = SignatureGenerator.header(basisSize: 2 << 20) + [1, 2, 3]
            index.apply(records: [Self.file("big")], removed: [])
            index.storeSignatures([FileSignatureRecord(file: Self.file("big"), signature: signature)])
            index.waitUntilPersisted()

            #expect(index.keptSignature(of: Self.file("big")) == signature)
            #expect(index.keptSignature(of: Self.file("big", ctime: 7)) == nil, "another version: made from the file")
            #expect(index.keptSignature(of: Self.file("other")) == nil)
            #expect(index.signaturesServed == (kept: 1, made: 2))
            #expect(index.keptSignature(of: Self.file("small", size: 4096)) == nil)
            #expect(index.signaturesServed == (kept: 1, made: 2), "small files are not looked up")

            // A kept signature with other parameters (another version made it) is not served.
            var foreign = signature
            foreign[11] &+= 1  // the strong sum's length
            index.storeSignatures([FileSignatureRecord(file: Self.file("big"), signature: foreign)])
            index.waitUntilPersisted()
            #expect(index.keptSignature(of: Self.file("big")) == nil)

            index.apply(records: [], removed: ["big"])
            index.waitUntilPersisted()
            #expect(try database.fileSignatureCount(share: "g/s") == 0)
        }
    }
}
