#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import Testing
import UnderstudyCore
import UnderstudyState
@testable import UnderstudyFileSystem
@testable import UnderstudyReplication

/// A comparison's walks read no index; a hash the plan needs later (a rename's, a verification's) comes from the
/// index only while its record still describes the file, on either node, and from the file otherwise.
@Suite struct VouchedHashTests {
    /// A record of `path` as it is now, holding `hash` (deliberately not the file's real hash, to tell them apart).
    static func record(_ share: ShareDirectory, _ path: String, hash: [UInt8]) throws -> FileIndexRecord {
        let status = try share.status(path)
        return FileIndexRecord(
            path: path, size: status.size, mtimeSeconds: status.attributes.mtimeSeconds,
            mtimeNanoseconds: Int32(status.attributes.mtimeNanoseconds), ctimeSeconds: status.ctimeSeconds,
            ctimeNanoseconds: status.ctimeNanoseconds, inode: status.inode, contentHash: hash)
    }

    @Test func theSourcesHash_comesFromTheIndex_onlyWhileTheRecordDescribesTheFile() throws {
        let root = TestTree.makeTemporaryDirectory("vouched-source")
        defer { TestTree.remove(root) }
        TestTree.write(root, "f", "content")
        let share = try ShareDirectory(path: root, create: false)
        let sender = try FileSender(share: share)
        let real = Array(SHA256.hash(data: Array("content".utf8)))
        let indexed = [UInt8](repeating: 7, count: 32)
        let index = FileIndexSnapshot([try Self.record(share, "f", hash: indexed)])

        #expect(sender.hash(path: "f", vouchedBy: index) == indexed)
        #expect(sender.hash(path: "f") == real)
        chmod(root + "/f", 0o600)  // ctime only: the record no longer proves the content
        #expect(sender.hash(path: "f", vouchedBy: index) == real)
        #expect(sender.hash(path: "missing", vouchedBy: index) == nil)
    }

    @Test func aReplicaFilesHash_comesFromTheIndex_onlyWhileTheRecordDescribesTheFile() throws {
        let root = TestTree.makeTemporaryDirectory("vouched-replica")
        defer { TestTree.remove(root) }
        TestTree.write(root, "f", "content")
        let share = try ShareDirectory(path: root, create: false)
        let writer = try ReplicaWriter(share: share, options: .init(applyOwnership: false))
        let real = Array(SHA256.hash(data: Array("content".utf8)))
        let indexed = [UInt8](repeating: 9, count: 32)
        let index = FileIndexSnapshot([try Self.record(share, "f", hash: indexed)])

        #expect(try writer.contentHash(of: "f", vouchedBy: index) == indexed)
        #expect(try writer.contentHash(of: "f") == real)
        TestTree.write(root, "f", "CONTENT")  // same size, new content
        #expect(try writer.contentHash(of: "f", vouchedBy: index) == Array(SHA256.hash(data: Array("CONTENT".utf8))))
    }

    @Test func aComparisonsWalk_carriesNoHashes() throws {
        let root = TestTree.makeTemporaryDirectory("vouched-walk")
        defer { TestTree.remove(root) }
        TestTree.write(root, "d/f", "content")
        let share = try ShareDirectory(path: root, create: false)
        let scanned = try TreeScanner(filter: PathFilter()).scan(share)
        #expect(scanned.entries.map(\.path) == ["", "d", "d/f"])
        #expect(scanned.entries.allSatisfy { $0.contentHash == nil })
    }
}
