import Crypto
import Foundation
import Testing
import UnderstudyCore
import UnderstudyWire
@testable import UnderstudyFileSystem
@testable import UnderstudyReplication
@testable import UnderstudySession

/// The read-ahead of a batch's small files (`FileReadAhead`): workers read, hash and compress the next files while
/// the sender emits the ones before; what goes on the connection is exactly what the sender would have read itself,
/// in the plan's order, within the bounds.
@Suite struct FileReadAheadTests {
    /// What one file's `send` gave: its messages and outcome.
    struct Sent {
        var messages: [PeerMessage] = []
        var outcome: SentFile<FileStatus>

        var hash: [UInt8]? {
            if case .sent(let hash, _) = outcome { return hash }
            return nil
        }
    }

    static func send(_ sender: FileSender, _ path: String) async throws -> Sent {
        var messages: [PeerMessage] = []
        let outcome = try await sender.send(
            path: path, basis: .none, signature: nil, emit: { messages.append($0) }, progress: { _ in })
        return Sent(messages: messages, outcome: outcome)
    }

    static func sender(_ root: String) throws -> FileSender {
        try FileSender(share: try ShareDirectory(path: root, create: false))
    }

    /// `paths`, then files written under "filler/" up to the smallest batch that is read ahead.
    static func batch(_ paths: [String], root: String) -> [String] {
        let fillers = (0..<max(0, FileReadAhead.minimumBatch - paths.count)).map { "filler/\($0)" }
        for path in fillers { TestTree.write(root, path, "filler \(path)\n") }
        return paths + fillers
    }

    /// Waits (at most 10 s) until `done` holds for the read-ahead's counts.
    static func wait(
        _ readAhead: FileReadAhead, until done: ((read: Int, waiting: Int, bytesWaiting: Int64)) -> Bool
    ) async throws -> Bool {
        for _ in 0..<1000 {
            if done(readAhead.counts) { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    @Test func aBatchReadAhead_sendsExactlyWhatTheSenderReadsItself_inThePlansOrder() async throws {
        let root = TestTree.makeTemporaryDirectory("read-ahead-same")
        defer { TestTree.remove(root) }
        var paths: [String] = []
        for index in 0..<300 {
            let path = "d\(index % 7)/f\(index)"
            let size = [0, 1, 300, 5000, 70_000, 200_000][index % 6]
            // Text that compresses and noise that does not, side by side.
            let content =
                index % 2 == 0
                ? Array(String(repeating: "line \(index) of the file\n", count: size / 20 + 1).utf8.prefix(size))
                : TestTree.randomBytes(size, seed: UInt64(index))
            TestTree.write(root, path, content)
            paths.append(path)
        }
        // One file too large to be read ahead: the sender reads it itself, in its place.
        TestTree.write(root, "large", TestTree.randomBytes(3 << 20, seed: 99))
        paths.insert("large", at: 150)

        let alone = try Self.sender(root)
        var expected: [Sent] = []
        for path in paths { expected.append(try await Self.send(alone, path)) }

        let ahead = try Self.sender(root)
        ahead.willSend(paths)
        var got: [Sent] = []
        for path in paths { got.append(try await Self.send(ahead, path)) }

        #expect(got.map(\.messages) == expected.map(\.messages))
        #expect(got.map(\.hash) == expected.map(\.hash))
        #expect(got.allSatisfy { $0.hash != nil })
        #expect(ahead.readAhead?.counts.read == paths.count, "every planned file went through the workers")
        #expect(ahead.readAhead?.counts.waiting == 0)
    }

    @Test func theWorkers_stopAtTheBound_andGoOnAsTheSenderTakesFiles() async throws {
        let root = TestTree.makeTemporaryDirectory("read-ahead-bound")
        defer { TestTree.remove(root) }
        // Many small files: the bound in files holds the workers.
        let small = (0..<(FileReadAhead.filesAhead * 2 + 10)).map { "small/\($0)" }
        for path in small { TestTree.write(root, path, "content of \(path)\n") }
        let sender = try Self.sender(root)
        sender.willSend(small)
        let readAhead = try #require(sender.readAhead)
        #expect(try await Self.wait(readAhead) { $0.waiting == FileReadAhead.filesAhead })
        try await Task.sleep(for: .milliseconds(200))
        let held = readAhead.counts
        #expect(held.waiting == FileReadAhead.filesAhead, "the workers went past the bound: \(held)")
        #expect(held.read <= FileReadAhead.filesAhead, "a worker took a file beyond the bound: \(held)")
        for path in small { #expect(try await Self.send(sender, path).hash != nil) }
        #expect(readAhead.counts.read == small.count)

        // Files that do not compress and weigh more than the bound in bytes: the bytes hold them.
        let heavy = (0..<100).map { "heavy/\($0)" }
        for (index, path) in heavy.enumerated() {
            TestTree.write(root, path, TestTree.randomBytes(256 << 10, seed: UInt64(index)))
        }
        let heavySender = try Self.sender(root)
        heavySender.willSend(heavy)
        let heavyAhead = try #require(heavySender.readAhead)
        #expect(try await Self.wait(heavyAhead) { $0.bytesWaiting >= FileReadAhead.bytesAhead })
        try await Task.sleep(for: .milliseconds(200))
        let weighed = heavyAhead.counts
        #expect(weighed.bytesWaiting < FileReadAhead.bytesAhead + Int64(FileReadAhead.workerCount) * (256 << 10))
        #expect(weighed.read < heavy.count, "the workers read everything despite the bound in bytes: \(weighed)")
        for path in heavy { #expect(try await Self.send(heavySender, path).hash != nil) }
    }

    @Test func aPathBehindTheSender_isReadByTheSenderItself_andWhatWasPassedOverIsLetGo() async throws {
        let root = TestTree.makeTemporaryDirectory("read-ahead-passed")
        defer { TestTree.remove(root) }
        let paths = ["a", "b", "c", "d"]
        for path in paths { TestTree.write(root, path, "file \(path)\n") }
        let sender = try Self.sender(root)
        let batch = Self.batch(paths, root: root)
        sender.willSend(batch)
        let readAhead = try #require(sender.readAhead)
        let third = try await Self.send(sender, "c")
        #expect(third.hash == Array(SHA256.hash(data: Array("file c\n".utf8))))
        // "a" is behind the sender now: read again by the sender, not taken from what the workers had.
        let first = try await Self.send(sender, "a")
        #expect(first.hash == Array(SHA256.hash(data: Array("file a\n".utf8))))
        let last = try await Self.send(sender, "d")
        #expect(last.hash == Array(SHA256.hash(data: Array("file d\n".utf8))))
        for path in batch.dropFirst(paths.count) { #expect(try await Self.send(sender, path).hash != nil) }
        #expect(readAhead.counts.waiting == 0, "what was passed over is let go")
        #expect(await readAhead.take("b") == nil)
    }

    @Test func aFileChangedAfterItWasReadAhead_goesAsTheVersionRead_withAReceiptThatNoLongerDescribesIt() async throws {
        let root = TestTree.makeTemporaryDirectory("read-ahead-changed")
        defer { TestTree.remove(root) }
        TestTree.write(root, "a", "first version\n")
        TestTree.write(root, "b", "other\n")
        let sender = try Self.sender(root)
        let batch = Self.batch(["a", "b"], root: root)
        sender.willSend(batch)
        let readAhead = try #require(sender.readAhead)
        #expect(try await Self.wait(readAhead) { $0.read == batch.count })
        TestTree.write(root, "a", "the second version, longer\n")
        let sent = try await Self.send(sender, "a")
        // Whole and consistent: the version that was read, never a mix.
        #expect(sent.hash == Array(SHA256.hash(data: Array("first version\n".utf8))))
        guard case .sent(_, let receipt) = sent.outcome else {
            Issue.record("not sent: \(sent.outcome)")
            return
        }
        // The index keeps the status of the version sent: the file's new status differs, so it goes again.
        let fd = open(root + "/a", O_RDONLY)
        defer { close(fd) }
        let now = try FileStatus.of(fd, path: "a")
        #expect(!now.isSameVersion(as: receipt))
    }

    @Test func aFileThatVanishedBeforeItWasRead_isSkipped_andTheOthersGo() async throws {
        let root = TestTree.makeTemporaryDirectory("read-ahead-vanished")
        defer { TestTree.remove(root) }
        TestTree.write(root, "here", "here\n")
        let sender = try Self.sender(root)
        sender.willSend(Self.batch(["gone", "here", "/../escape"], root: root))
        let gone = try await Self.send(sender, "gone")
        guard case .skipped = gone.outcome else {
            Issue.record("a missing file was not skipped: \(gone.outcome)")
            return
        }
        #expect(gone.messages.isEmpty, "nothing of a file that cannot be read reaches the connection")
        #expect(try await Self.send(sender, "here").hash != nil)
        let hostile = try await Self.send(sender, "/../escape")
        guard case .skipped = hostile.outcome else {
            Issue.record("a path leaving the share was not refused: \(hostile.outcome)")
            return
        }
    }

    @Test func filesReadAheadWithTheSharesDictionary_followItOnce_sentBeforeTheFirstOfThem() async throws {
        let (root, share, paths) = try SmallFileDictionaryTests.share("read-ahead-dictionary", count: 300) {
            ZstdDictionaryTests.sample($0)
        }
        defer { TestTree.remove(root) }
        guard case .trained(let dictionary) = try SmallFileDictionary.train(share: share, candidates: paths, level: 3)
        else {
            Issue.record("no dictionary for 300 files of one kind")
            return
        }
        let sender = try FileSender(share: share, compressionLevel: 3, dictionary: (dictionary, DictionaryOffer()))
        sender.willSend(paths)
        #expect(sender.readAhead != nil)
        var messages: [PeerMessage] = []
        for path in paths {
            let sent = try await Self.send(sender, path)
            #expect(sent.hash != nil)
            messages += sent.messages
        }
        let kinds = messages.map(\.typeName)
        #expect(kinds.filter { $0 == "compressionDictionary" }.count == 1)
        #expect(kinds.first == "compressionDictionary", "the dictionary goes before the first file: \(kinds.prefix(3))")
    }

    @Test func aBatchSmallerThanTheMinimum_startsNoWorker() async throws {
        let root = TestTree.makeTemporaryDirectory("read-ahead-few")
        defer { TestTree.remove(root) }
        let paths = Self.batch([], root: root).dropLast()
        let sender = try Self.sender(root)
        sender.willSend(Array(paths))
        #expect(sender.readAhead == nil)
        for path in paths { #expect(try await Self.send(sender, path).hash != nil) }
    }
}
