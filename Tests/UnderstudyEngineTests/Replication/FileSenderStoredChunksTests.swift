import Crypto
import Foundation
import NIOCore
import Testing
import UnderstudyCore
import UnderstudyDelta
import UnderstudyWire
@testable import UnderstudyFileSystem
@testable import UnderstudyReplication

/// A file sent whole goes chunk by chunk compressed or as it is, as a sample of each chunk says; the standby
/// rebuilds it exactly from the mix.
@Suite struct FileSenderStoredChunksTests {
    static let attributes = FileAttributes(
        mode: 0o644, uid: 0, gid: 0, mtimeSeconds: 1_600_000_000, mtimeNanoseconds: 0)

    /// Sends `content` from a share in a temporary directory; returns the messages emitted.
    static func send(_ content: [UInt8], root: String) async throws -> [PeerMessage] {
        TestTree.write(root + "/source", "f", content)
        let sender = try FileSender(share: try ShareDirectory(path: root + "/source", create: false))
        var messages: [PeerMessage] = []
        let sent = try await sender.send(
            path: "f", basis: .none, signature: nil, emit: { messages.append($0) }, progress: { _ in })
        guard case .sent = sent else {
            Issue.record("not sent: \(sent)")
            return messages
        }
        return messages
    }

    /// Receives `messages` into a replica beside the source, as the standby would; returns the file written.
    static func receive(_ messages: [PeerMessage], root: String) throws -> [UInt8] {
        mkdir(root + "/replica", 0o755)
        let writer = try ReplicaWriter(
            share: try ShareDirectory(path: root + "/replica", create: false), options: .init(applyOwnership: false))
        var file: IncomingFile?
        for message in messages {
            switch message {
            case .fileBegin(var header):
                header.attributes = attributes
                file = try writer.beginFile(header)
            case .fileChunk(let data):
                try data.withUnsafeReadableBytes { try file!.receive($0, compressed: true) }
            case .fileChunkStored(let data):
                try data.withUnsafeReadableBytes { try file!.receive($0, compressed: false) }
            case .fileEnd(let hash):
                try writer.commit(file!, expectedHash: hash)
            default:
                Issue.record("unexpected \(message)")
            }
        }
        try writer.flush()
        return Array(try Data(contentsOf: URL(fileURLWithPath: root + "/replica/f")))
    }

    static func kinds(_ messages: [PeerMessage]) -> [String] { messages.map(\.typeName) }

    @Test func chunksThatDoNotCompress_goAsTheyAre_andTheReplicaIsExact() async throws {
        let root = TestTree.makeTemporaryDirectory("sender-stored")
        defer { TestTree.remove(root) }
        let mib = 1 << 20
        let content =
            TestTree.randomBytes(mib, seed: 21) + deltaCompressibleBytes(mib, seed: 22)
            + TestTree.randomBytes(mib, seed: 23) + TestTree.randomBytes(mib / 2, seed: 24)
        let messages = try await Self.send(content, root: root)
        #expect(
            Self.kinds(messages) == [
                "fileBegin", "fileChunkStored", "fileChunk", "fileChunkStored", "fileChunkStored", "fileChunk",
                "fileEnd",
            ], "the text MiB compressed, the noise stored, and the zstd stream ended after the last chunk")
        let stored = messages.reduce(0) { total, message in
            if case .fileChunkStored(let data) = message { total + data.readableBytes } else { total }
        }
        #expect(stored == 2 * mib + mib / 2)
        #expect(try Self.receive(messages, root: root) == content)
    }

    @Test func aFileThatDoesNotCompressAtAll_needsNoZstdStream() async throws {
        let root = TestTree.makeTemporaryDirectory("sender-all-stored")
        defer { TestTree.remove(root) }
        let content = TestTree.randomBytes(3 << 19, seed: 25)
        let messages = try await Self.send(content, root: root)
        #expect(Self.kinds(messages) == ["fileBegin", "fileChunkStored", "fileChunkStored", "fileEnd"])
        #expect(try Self.receive(messages, root: root) == content)
    }

    @Test func aSmallFileThatDoesNotCompress_goesAsItIs() async throws {
        let root = TestTree.makeTemporaryDirectory("sender-small-stored")
        defer { TestTree.remove(root) }
        let content = TestTree.randomBytes(9000, seed: 29)
        let messages = try await Self.send(content, root: root)
        #expect(Self.kinds(messages) == ["fileBegin", "fileChunkStored", "fileEnd"])
        #expect(try Self.receive(messages, root: root) == content)
    }

    @Test func aFileSentWhole_endsItsZstdStreamWithTheChunkThatCompletesIt() async throws {
        for (size, chunks) in [(9000, 1), (3 << 20, 3)] {
            let root = TestTree.makeTemporaryDirectory("sender-one-chunk-\(size)")
            defer { TestTree.remove(root) }
            let content = deltaCompressibleBytes(size, seed: UInt64(31 + size))
            let messages = try await Self.send(content, root: root)
            #expect(Self.kinds(messages) == ["fileBegin"] + Array(repeating: "fileChunk", count: chunks) + ["fileEnd"])
            // The frame is complete after the last chunk, and not before it.
            let decompressor = try ZstdDecompressor()
            var complete: [Bool] = []
            for case .fileChunk(let data) in messages {
                try data.withUnsafeReadableBytes { try decompressor.decompress($0) { _ in } }
                complete.append(decompressor.isFrameComplete)
            }
            #expect(complete == Array(repeating: false, count: chunks - 1) + [true])
            #expect(try Self.receive(messages, root: root) == content)
        }
    }

    @Test func textFiles_smallOrLarge_andTheSmallest_stayCompressed() async throws {
        let contents = [
            deltaCompressibleBytes(3 << 20, seed: 26), deltaCompressibleBytes(9000, seed: 30),
            TestTree.randomBytes(CompressionSample.minimumJudged - 1, seed: 27),
        ]
        for (index, content) in contents.enumerated() {
            let root = TestTree.makeTemporaryDirectory("sender-compressed-\(index)")
            defer { TestTree.remove(root) }
            let messages = try await Self.send(content, root: root)
            #expect(!Self.kinds(messages).contains("fileChunkStored"))
            #expect(try Self.receive(messages, root: root) == content)
        }
    }

    @Test func aStoredChunk_thatWasTamperedWith_failsTheHashCheck_andNothingIsPutInPlace() async throws {
        let root = TestTree.makeTemporaryDirectory("sender-stored-tampered")
        defer { TestTree.remove(root) }
        var messages = try await Self.send(TestTree.randomBytes(1 << 20, seed: 28), root: root)
        guard let index = messages.firstIndex(where: { $0.typeName == "fileChunkStored" }),
            case .fileChunkStored(var data) = messages[index]
        else {
            Issue.record("no stored chunk in \(Self.kinds(messages))")
            return
        }
        data.setInteger(~data.getInteger(at: 100, as: UInt8.self)!, at: 100)
        messages[index] = .fileChunkStored(data)
        #expect(throws: FileSystemError.self) { try Self.receive(messages, root: root) }
        #expect(!FileManager.default.fileExists(atPath: root + "/replica/f"))
    }
}
