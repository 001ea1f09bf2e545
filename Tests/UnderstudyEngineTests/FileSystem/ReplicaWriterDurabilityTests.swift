#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyDelta
@testable import UnderstudyFileSystem

/// A sync's durable work: each batch of files takes a `syncfs` before its renames (which also makes the batch before
/// it durable), and one `syncfs` at the end serves the last batch's renames and every step applied directly.
@Suite struct ReplicaWriterDurabilityTests {
    let attributes = FileAttributes(mode: 0o640, uid: 0, gid: 0, mtimeSeconds: 1_600_000_000, mtimeNanoseconds: 42)

    func writer(_ root: String, _ sync: FileSystemSync, batchFiles: Int = 1000) throws -> ReplicaWriter {
        var options = ReplicaWriter.Options(applyOwnership: false)
        options.fileSystemSync = sync
        options.batchFiles = batchFiles
        return try ReplicaWriter(share: try ShareDirectory(path: root, create: false), options: options)
    }

    func receive(_ text: String, as path: String, into writer: ReplicaWriter) throws {
        let content = Array(text.utf8)
        let file = try writer.beginFile(
            .init(path: path, size: Int64(content.count), attributes: attributes, basis: .none))
        try content.withUnsafeBytes { try file.receive($0, compressed: false) }
        try writer.commit(file, expectedHash: Array(SHA256.hash(data: content)))
    }

    @Test func filesAndDirectSteps_areMadeDurableWithOneSyncfsAfterTheRenames() throws {
        let root = TestTree.makeTemporaryDirectory("writer-durable")
        defer { TestTree.remove(root) }
        TestTree.write(root, "old", "to be removed")
        let sync = FileSystemSync()
        let writer = try writer(root, sync)
        try receive("new content", as: "new", into: writer)
        try writer.apply(.delete(path: "old"))
        try writer.makeDurable()
        #expect(sync.figures.requests == 2, "the data's syncfs, then one for the renames and the removal")
        #expect((try? String(contentsOfFile: root + "/new", encoding: .utf8)) == "new content")
        #expect(!FileManager.default.fileExists(atPath: root + "/old"))
        #expect(writer.filesApplied == 1)
    }

    @Test func filesAlone_areSyncedBeforeAndAfterTheirRenames_andDirectStepsAloneOnce() throws {
        let root = TestTree.makeTemporaryDirectory("writer-durable-apart")
        defer { TestTree.remove(root) }
        let sync = FileSystemSync()
        let writer = try writer(root, sync)
        try receive("only a file", as: "f", into: writer)
        try writer.makeDurable()
        #expect(sync.figures.requests == 2, "the data's syncfs, then the renames'")
        try writer.apply(.makeDirectory(path: "d"))
        try writer.makeDurable()
        #expect(sync.figures.requests == 3, "a step applied directly: one syncfs")
        try writer.makeDurable()
        #expect(sync.figures.requests == 3, "nothing new: nothing to sync")
        #expect((try? String(contentsOfFile: root + "/f", encoding: .utf8)) == "only a file")
    }

    @Test func batchesOfFiles_takeOneSyncfsEach_andTheSyncOneMore() throws {
        let root = TestTree.makeTemporaryDirectory("writer-durable-batches")
        defer { TestTree.remove(root) }
        let sync = FileSystemSync()
        let writer = try writer(root, sync, batchFiles: 2)
        for index in 0..<5 { try receive("file \(index)", as: "f\(index)", into: writer) }
        try writer.makeDurable()
        #expect(sync.figures.requests == 4, "three batches' data, then the last renames")
        #expect(writer.filesApplied == 5)
        for index in 0..<5 {
            #expect((try? String(contentsOfFile: root + "/f\(index)", encoding: .utf8)) == "file \(index)")
        }
    }
}
