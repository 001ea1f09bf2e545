import Foundation
import Testing
import UnderstudySupport

/// The threads of `onThread`: a job never waits behind another, a thread that finished takes the next job, and idle
/// threads end after their timeout.
@Suite struct BlockingThreadsTests {
    /// Runs `count` jobs that each wait until all of them have started (a pool that queued one behind another would
    /// never start the last), then lets them end; how many started, and how many ended (each wait bounded).
    static func runTogether(_ threads: BlockingThreads, _ count: Int) -> (started: Int, ended: Int) {
        let arrived = DispatchSemaphore(value: 0)
        let released = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        for _ in 0..<count {
            threads.run {
                arrived.signal()
                if released.wait(timeout: .now() + 10) == .success { finished.signal() }
            }
        }
        var started = 0
        for _ in 0..<count where arrived.wait(timeout: .now() + 10) == .success { started += 1 }
        for _ in 0..<count { released.signal() }
        var ended = 0
        for _ in 0..<count where finished.wait(timeout: .now() + 10) == .success { ended += 1 }
        return (started, ended)
    }

    @Test func jobsThatWaitForEachOther_allRunAtOnce_onIdleThreadsAndNewOnes() async throws {
        let threads = BlockingThreads(idleTimeout: 30)
        // Two threads left idle first: the jobs below go to them and to new threads alike.
        #expect(Self.runTogether(threads, 2) == (2, 2))
        for _ in 0..<1000 where threads.counts.idle < 2 { usleep(1000) }
        #expect(threads.counts.idle == 2)
        let outcome = Self.runTogether(threads, 12)
        #expect(outcome.started == 12, "jobs waited behind others")
        #expect(outcome.ended == 12)
        #expect(threads.counts.started == 12, "two idle threads took two of the jobs: \(threads.counts)")
    }

    @Test func aThreadThatFinished_takesTheNextJob_insteadOfANewThread() async throws {
        let threads = BlockingThreads(idleTimeout: 5)
        for _ in 0..<50 {
            let done = DispatchSemaphore(value: 0)
            threads.run { done.signal() }
            #expect(done.wait(timeout: .now() + 10) == .success)
            // The thread is back among the idle before the next job (bounded wait).
            for _ in 0..<1000 where threads.counts.idle == 0 { usleep(1000) }
        }
        #expect(threads.counts.started == 1, "started \(threads.counts.started) threads for 50 jobs one after another")
    }

    @Test func idleThreads_endAfterTheirTimeout_andNoMoreThanTheMaximumWait() async throws {
        let threads = BlockingThreads(idleTimeout: 2, maximumIdle: 2)
        #expect(Self.runTogether(threads, 4) == (4, 4))
        for _ in 0..<1000 where threads.counts.idle < 2 { usleep(1000) }
        #expect(threads.counts.idle == 2, "at most two wait")
        for _ in 0..<10_000 where threads.counts.idle > 0 { usleep(1000) }
        #expect(threads.counts.idle == 0, "idle threads outlived their timeout")
        // A job after that starts a thread again.
        let done = DispatchSemaphore(value: 0)
        threads.run { done.signal() }
        #expect(done.wait(timeout: .now() + 10) == .success)
    }

    @Test func onThread_returnsTheResult_andThrowsTheError() async throws {
        struct Failure: Error {}
        #expect(try await onThread { 6 * 7 } == 42)
        await #expect(throws: Failure.self) { try await onThread { throw Failure() } }
    }
}
