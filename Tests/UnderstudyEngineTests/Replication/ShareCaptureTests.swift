import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudyReplication
import UnderstudySupport
import UnderstudyWire

/// One share's change capture on the serving node: what changes in the tree is journaled and told to subscribers,
/// a standby's acknowledgement drains it, and a resume point of another capture gets the whole share.
struct ShareCaptureTests {
    /// A capture of alpha's share `files/data` (short delays), started; the caller stops it.
    static func startedCapture(root: String) async throws -> (ShareCapture, source: String) {
        let source = root + "/source"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let configuration = try TestConfiguration.pair(root: root)
        let runtime = try await onThread {
            try NodeRuntime(configuration: configuration, name: "alpha", logger: .init(label: "test"))
        }
        let context = try #require(runtime.shares[group: "files", share: "data"])
        let capture = ShareCapture(context: context, configuration: .init(quietDelay: 0.05, maxDelay: 0.5))
        try await onThread { capture.start() }
        return (capture, source)
    }

    @Test func aWrittenFile_isJournaled_andToldToSubscribers_andTheStandbysAcknowledgementDrainsIt() async throws {
        let root = TestTree.makeTemporaryDirectory("share-capture")
        defer { TestTree.remove(root) }
        let (capture, source) = try await Self.startedCapture(root: root)
        defer { capture.stop() }
        #expect(capture.isDrained)
        let (_, changes) = capture.changes()

        try Data("new".utf8).write(to: URL(fileURLWithPath: source + "/a.txt"))
        let told: Void? = await within(seconds: 20) {
            var iterator = changes.makeAsyncIterator()
            return await iterator.next()
        }
        #expect(told != nil, "the subscriber was told")
        let scope = capture.scope(resume: ResumePoint(captureID: capture.captureID, sequence: 0))
        #expect(scope.paths?.map(\.path).contains("a.txt") == true, "\(String(describing: scope.paths))")
        #expect(scope.captureComplete)
        #expect(!capture.isDrained)

        capture.acknowledge(scope, failed: [])
        #expect(capture.isDrained)
    }

    @Test func aResumePointOfAnotherCapture_orNone_getsTheWholeShare() async throws {
        let root = TestTree.makeTemporaryDirectory("share-capture-scope")
        defer { TestTree.remove(root) }
        let (capture, _) = try await Self.startedCapture(root: root)
        defer { capture.stop() }
        #expect(capture.scope(resume: nil).paths == nil)
        #expect(capture.scope(resume: ResumePoint(captureID: capture.captureID &+ 1, sequence: 0)).paths == nil)
        #expect(capture.scope(resume: ResumePoint(captureID: capture.captureID, sequence: 0)).paths == [])
    }

    @Test func stopping_endsEverySubscribersStream() async throws {
        let root = TestTree.makeTemporaryDirectory("share-capture-stop")
        defer { TestTree.remove(root) }
        let (capture, _) = try await Self.startedCapture(root: root)
        let (_, changes) = capture.changes()
        try await onThread { capture.stop() }
        var iterator = changes.makeAsyncIterator()
        #expect(await iterator.next() == nil)
    }
}
