#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyDelta
@testable import UnderstudyNode
@testable import UnderstudyFileSystem

struct ReplicaWriterTests {
    let attributes = FileAttributes(mode: 0o640, uid: 0, gid: 0, mtimeSeconds: 1_600_000_000, mtimeNanoseconds: 42)

    @Test func refusesToWriteThroughASymlinkedDirectory() throws {
        let root = TestTree.makeTemporaryDirectory("writer")
        defer { TestTree.remove(root) }
        let outside = TestTree.makeTemporaryDirectory("writer-outside")
        defer { TestTree.remove(outside) }
        mkdir(root + "/replica", 0o755)
        TestTree.symlink(root, "replica/escape", target: outside)
        let writer = try ReplicaWriter(
            share: try ShareDirectory(path: root + "/replica", create: false), options: .init(applyOwnership: false))
        for operation in [
            SyncOperation.makeDirectory(path: "escape/x"), .delete(path: "escape/y"),
            .setDirectoryAttributes(path: "escape", attributes: attributes),
        ] {
            #expect(throws: FileSystemError.self) { try writer.apply(operation) }
        }
        #expect(throws: FileSystemError.self) {
            _ = try writer.beginFile(.init(path: "escape/file", size: 1, attributes: attributes, basis: .none))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
    }

    @Test func removesTemporaries_andKeepsFinalNamesUntouched() throws {
        let root = TestTree.makeTemporaryDirectory("writer-temp")
        defer { TestTree.remove(root) }
        TestTree.write(root, "keep", "final")
        TestTree.write(root, ".understudy.tmp.00000000000000aa", "half written")
        let share = try ShareDirectory(path: root, create: false)
        let scan = try TreeScanner(filter: PathFilter()).scan(share)
        try ReplicaWriter(share: share, options: .init(applyOwnership: false)).removeTemporaries(scan.temporaries)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["keep"])
    }

    @Test func discardsFile_whoseContentDiffersFromTheSendersHash() throws {
        let root = TestTree.makeTemporaryDirectory("writer-hash")
        defer { TestTree.remove(root) }
        TestTree.write(root, "f", "old version")
        let writer = try ReplicaWriter(
            share: try ShareDirectory(path: root, create: false), options: .init(applyOwnership: false))
        let file = try writer.beginFile(.init(path: "f", size: 3, attributes: attributes, basis: .none))
        let compressor = try ZstdCompressor(level: 1)
        var compressed: [UInt8] = []
        try [UInt8]("new".utf8).withUnsafeBytes {
            try compressor.compress($0, mode: .end) { compressed.append(contentsOf: $0) }
        }
        try compressed.withUnsafeBytes { try file.receive($0, compressed: true) }
        #expect(throws: FileSystemError.self) {
            try writer.commit(file, expectedHash: [UInt8](repeating: 0, count: 32))
        }
        try writer.flush()
        #expect(try String(contentsOfFile: root + "/f", encoding: .utf8) == "old version")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["f"])
    }
}
