import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudyReplication
import UnderstudySupport

/// Who holds each group, published as a stream that each part reads for itself.
struct HolderChangesTests {
    @Test func everySubscriber_getsEveryChange_inTheOrderPublished() async {
        let changes = HolderChanges()
        let first = changes.subscribe()
        let second = changes.subscribe()
        let published = [
            HolderChange(group: "files", ownership: GroupOwnership(epoch: 2, owner: "beta")),
            HolderChange(group: "mail", ownership: GroupOwnership(epoch: 5, owner: "beta")),
            HolderChange(group: "files", ownership: GroupOwnership(epoch: 3, owner: "alpha")),
        ]
        for change in published { changes.publish(change) }
        #expect(await Self.take(3, from: first) == published)
        #expect(await Self.take(3, from: second) == published)
    }

    @Test func aSubscriberWhoseReaderEnded_isDropped_andOthersStillHearEverything() async throws {
        let changes = HolderChanges()
        let kept = changes.subscribe()
        let dropped = changes.subscribe()
        let reader = Task { for await _ in dropped {} }
        #expect(changes.subscriberCount == 2)
        reader.cancel()
        await reader.value
        #expect(changes.subscriberCount == 1)
        let change = HolderChange(group: "files", ownership: GroupOwnership(epoch: 2, owner: "beta"))
        changes.publish(change)
        #expect(await Self.take(1, from: kept) == [change])
    }

    @Test func runtime_publishesAChange_onlyWhenTheHolderChanges_notForTheSameHolderAgain() async throws {
        let root = TestTree.makeTemporaryDirectory("holder-changes")
        defer { TestTree.remove(root) }
        let configuration = try TestConfiguration.pair(root: root)
        let runtime = try await onThread {
            try NodeRuntime(configuration: configuration, name: "beta", logger: .init(label: "test"))
        }
        let stream = runtime.holderChanges.subscribe()
        // The same holder with a new epoch (a peer's handshake after a restart) is not a change of holder.
        runtime.setOwnership(GroupOwnership(epoch: 1, owner: "alpha"), group: "files")
        runtime.setOwnership(GroupOwnership(epoch: 2, owner: "beta"), group: "files")
        runtime.setOwnership(GroupOwnership(epoch: 2, owner: "beta"), group: "files")
        runtime.setOwnership(GroupOwnership(epoch: 3, owner: "alpha"), group: "files")
        #expect(
            await Self.take(2, from: stream) == [
                HolderChange(group: "files", ownership: GroupOwnership(epoch: 2, owner: "beta")),
                HolderChange(group: "files", ownership: GroupOwnership(epoch: 3, owner: "alpha")),
            ])
        #expect(runtime.owns(group: "files") == false)
    }

    /// The first `count` elements, waiting at most 5 s (real time) for them.
    static func take<Element: Sendable>(_ count: Int, from stream: AsyncStream<Element>) async -> [Element] {
        let reader = Task {
            var taken: [Element] = []
            for await change in stream {
                taken.append(change)
                if taken.count == count { break }
            }
            return taken
        }
        let timeout = Task {
            try await Task.sleep(for: .seconds(5))
            reader.cancel()
        }
        defer { timeout.cancel() }
        return await reader.value
    }
}
