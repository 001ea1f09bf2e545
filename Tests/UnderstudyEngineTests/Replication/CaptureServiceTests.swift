import Foundation
import NIOConcurrencyHelpers
import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudyReplication
import UnderstudySupport

/// The change capture of the shares a node serves, as one Service: started for the held groups by `start()`, moved
/// with the holder, stopped (threads joined) when the Service ends.
struct CaptureServiceTests {
    /// `node`'s runtime for the test pair under `root` (alpha's source made), and its share `files/data`.
    static func share(of node: String, root: String) async throws -> (NodeRuntime, ShareContext) {
        try FileManager.default.createDirectory(atPath: root + "/source", withIntermediateDirectories: true)
        let configuration = try TestConfiguration.pair(root: root)
        let runtime = try await onThread {
            try NodeRuntime(configuration: configuration, name: node, logger: .init(label: "test"))
        }
        return (runtime, try #require(runtime.shares[group: "files", share: "data"]))
    }

    @Test func itCapturesTheHeldGroupsAtStart_followsTheHolder_andStopsEveryCaptureWhenItEnds() async throws {
        let root = TestTree.makeTemporaryDirectory("capture-service")
        defer { TestTree.remove(root) }
        let (runtime, context) = try await Self.share(of: "alpha", root: root)
        let holds = NIOLockedValueBox(true)
        let captures = CaptureService(
            contexts: [context], holds: { _ in holds.withLockedValue { $0 } }, logger: runtime.logger)
        await captures.start()
        let running = Task { await captures.run() }
        #expect(context.capture != nil)

        holds.withLockedValue { $0 = false }
        await captures.release(group: "files")
        #expect(context.capture == nil)
        holds.withLockedValue { $0 = true }
        await captures.serve(group: "files")
        let served = context.capture
        let changes = served?.changes().stream

        running.cancel()
        await running.value
        #expect(served != nil, "serving the group again captures it")
        #expect(context.capture == nil)
        // A stopped capture ends its subscribers' streams.
        if let changes { for await _ in changes {} }
    }

    @Test func aHolderChangeHandledAfterTheEnd_startsNoCaptureAgain() async throws {
        let root = TestTree.makeTemporaryDirectory("capture-service-ended")
        defer { TestTree.remove(root) }
        let (runtime, context) = try await Self.share(of: "alpha", root: root)
        let captures = CaptureService(contexts: [context], holds: { _ in true }, logger: runtime.logger)
        await captures.start()
        let running = Task { await captures.run() }
        running.cancel()
        await running.value
        #expect(context.capture == nil)
        await captures.serve(group: "files")
        #expect(context.capture == nil, "nothing would join its threads")
    }

    @Test func aNodeThatHoldsNothing_capturesNothing() async throws {
        let root = TestTree.makeTemporaryDirectory("capture-service-none")
        defer { TestTree.remove(root) }
        let (runtime, context) = try await Self.share(of: "beta", root: root)
        let captures = CaptureService(contexts: [context], holds: { _ in false }, logger: runtime.logger)
        await captures.start()
        let running = Task { await captures.run() }
        #expect(context.capture == nil)
        running.cancel()
        await running.value
    }
}
