import Foundation
import Testing
@testable import UnderstudyCore
@testable import UnderstudyReplication
import UnderstudyTestSupport

@Suite struct SyncRequestsTests {
    /// Runs `wait` in a child task and returns whether it ended within `limit` seconds (it is cancelled if not).
    private func waitEnds(
        _ requests: SyncRequests, seconds: Double, beforeReconnect: Bool = false, within limit: Double,
        after poke: @escaping @Sendable () async -> Void = {}
    ) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await requests.wait(seconds: seconds, beforeReconnect: beforeReconnect)
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(50))
                await poke()
                try? await Task.sleep(for: .seconds(limit))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    @Test func aWait_endsWhenItsTimeIsUp() async {
        #expect(await waitEnds(SyncRequests(), seconds: 0.05, within: 20))
    }

    @Test func aWait_sleepsOnTheNodesClock_andEndsWhenThatClockReachesItsTime() async {
        let clock = ManualClock(now: 1_800_000_000)
        let requests = SyncRequests(clock: clock)
        let waiting = Task { await requests.wait(seconds: 30) }
        // 30 s: when the whole suite starts at once, a new task can wait more than 10 s for a thread.
        #expect(await eventually(seconds: 30) { clock.sleeping == 1 }, "the wait sleeps on the clock it was given")
        #expect(clock.sleeps == [30])
        clock.advance(by: 29)
        #expect(clock.sleeping == 1, "29 s of its clock do not end a wait of 30")
        clock.advance(by: 1)
        let ended: Void? = await within(seconds: 20) { await waiting.value }
        waiting.cancel()
        #expect(ended != nil)
    }

    @Test func aWait_endsAtOnceWhenThePrimaryAnnouncesChanges_andTheShareIsThenLive() async {
        let requests = SyncRequests()
        #expect(await waitEnds(requests, seconds: 3600, within: 20) { await requests.noteChanges(share: "s", at: 7) })
        #expect(await requests.takeLive() == ["s": 7])
    }

    @Test func thePauseBeforeAReconnect_sleepsThroughNoticesButNotARequest() async {
        let requests = SyncRequests()
        #expect(
            !(await waitEnds(requests, seconds: 3600, beforeReconnect: true, within: 0.3) {
                await requests.noteChanges(share: "s", at: 1)
            }))
        let asker = Task { await requests.request() }
        #expect(await waitEnds(requests, seconds: 3600, beforeReconnect: true, within: 20))
        #expect(await requests.fullRequested)
        let waiters = await requests.takeWaiters()
        #expect(waiters.count == 1)
        for waiter in waiters { waiter.resume(returning: []) }
        _ = await asker.value
    }

    @Test func aWait_endsWhenItsTaskIsCancelled() async {
        let requests = SyncRequests()
        let waiting = Task { await requests.wait(seconds: 3600) }
        try? await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        let ended = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await waiting.value
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(20))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(ended)
    }

    @Test func aWaitAfterAnEndedConnection_returnsAtOnce_unlessItIsTheReconnectPause() async {
        let requests = SyncRequests()
        await requests.noteConnectionEnded()
        #expect(await waitEnds(requests, seconds: 3600, within: 20))
        #expect(!(await waitEnds(requests, seconds: 3600, beforeReconnect: true, within: 0.3)))
        #expect(await requests.takeConnectionEnded())
    }
}
