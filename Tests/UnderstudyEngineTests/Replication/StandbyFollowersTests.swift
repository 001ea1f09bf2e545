import Foundation
import NIOConcurrencyHelpers
import Testing
@testable import UnderstudyReplication

/// A takeover stops exactly its group's follower and waits for its end, but never longer than it said.
@Suite struct StandbyFollowersTests {
    @Test func stoppingAFollowerThatEndsWhenCancelled_waitsForItsEnd_andLeavesTheOthersRunning() async {
        let followers = StandbyFollowers()
        let ended = NIOLockedValueBox<[String]>([])
        for group in ["files", "mail"] {
            followers.start(group: group) {
                while !Task.isCancelled { try? await Task.sleep(nanoseconds: 5_000_000) }
                ended.withLockedValue { $0.append(group) }
            }
        }
        #expect(await followers.stop(group: "files", waitingAtMost: 10))
        #expect(ended.withLockedValue { $0 } == ["files"], "its end came before stop returned; mail still follows")
        #expect(await followers.stop(group: "files", waitingAtMost: 10), "a group without a follower is stopped")
        await followers.stopAll()
        #expect(ended.withLockedValue { $0 }.sorted() == ["files", "mail"])
    }

    @Test func stoppingAFollowerThatIgnoresCancellation_givesUpAtTheLimit() async {
        let followers = StandbyFollowers()
        // A connect that does not notice cancellation: it ends when the test lets it.
        let gate = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)
        followers.start(group: "files") {
            await withCheckedContinuation { continuation in gate.withLockedValue { $0 = continuation } }
        }
        for _ in 0..<1_000 where gate.withLockedValue({ $0 }) == nil { try? await Task.sleep(nanoseconds: 1_000_000) }
        let started = Date()
        // The follower cannot end before the gate opens, after this returns: returning at all is giving up.
        #expect(await followers.stop(group: "files", waitingAtMost: 0.2) == false)
        #expect(Date().timeIntervalSince(started) >= 0.2, "it waited for the limit first")
        gate.withLockedValue { $0 }?.resume()
    }
}
