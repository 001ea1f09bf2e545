import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudyReplication
import UnderstudySupport

/// What the replication side learns reaches the parts that subscribed: the failover machines hear a peer's
/// ownership from a handshake and a finished rejoin; the daemon hears each conflict copy.
struct PeerNewsTests {
    func runtime(_ root: String) async throws -> NodeRuntime {
        let configuration = try TestConfiguration.pair(root: root)
        return try await onThread {
            try NodeRuntime(configuration: configuration, name: "alpha", logger: .init(label: "test"))
        }
    }

    @Test func aHandshakesOwnership_andAFinishedRejoin_arePublished_inOrder() async throws {
        let root = TestTree.makeTemporaryDirectory("peer-news")
        defer { TestTree.remove(root) }
        let runtime = try await runtime(root)
        let news = runtime.peerNews.subscribe()
        let beta2 = GroupOwnership(epoch: 2, owner: "beta")
        runtime.peerOwnershipHeard(peer: "beta", group: "files", ownership: beta2)
        runtime.rejoined(group: "files")
        #expect(
            await HolderChangesTests.take(2, from: news) == [
                .ownershipHeard(peer: "beta", group: "files", ownership: beta2), .rejoined(group: "files"),
            ])
        // A rejoined node follows again: its status says standby.
        #expect(runtime.status.snapshot(now: 0).first { $0.name == "files" }?.role == .standby)
    }

    @Test func aConflictCopy_isPublished_andItsNotificationSaysWhereBothVersionsAre() async throws {
        let root = TestTree.makeTemporaryDirectory("conflict-news")
        defer { TestTree.remove(root) }
        let runtime = try await runtime(root)
        let conflicts = runtime.conflicts.subscribe()
        let found = ConflictFound(
            share: "files/data", path: "a.txt", copy: "a.understudy-conflict-beta.txt", node: "beta",
            reason: "changed on both nodes")
        runtime.conflictFound(found)
        let heard = await HolderChangesTests.take(1, from: conflicts)
        #expect(heard.map(\.copy) == [found.copy])
        let event = found.notification(to: "alpha", at: 100)
        #expect(event.kind == .conflict && event.group == "files" && event.node == "alpha" && event.time == 100)
        #expect(event.summary.contains("a.txt was changed on beta too") && event.summary.contains(found.copy))
        #expect(event.detail.contains("understudy conflicts resolve files/data/a.txt"))
    }

    @Test func newsNobodySubscribedTo_isDropped_andALaterSubscriberHearsOnlyWhatFollows() async throws {
        let root = TestTree.makeTemporaryDirectory("late-news")
        defer { TestTree.remove(root) }
        let runtime = try await runtime(root)
        runtime.rejoined(group: "files")
        let news = runtime.peerNews.subscribe()
        runtime.rejoined(group: "mail")
        #expect(await HolderChangesTests.take(1, from: news) == [.rejoined(group: "mail")])
    }
}
