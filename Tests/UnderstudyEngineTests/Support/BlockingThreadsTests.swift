import Foundation
import Testing
import UnderstudySupport

/// The threads of `onThread`: a job never waits behind another, a thread that finished takes the next job, and idle
/// threads end after their timeout.
@Suite struct BlockingThreadsTests {
    @Test func jobsThatWaitForEachOther_allRunAtOnce() async throws {
        let threads = BlockingThreads(idleTimeout: 5)
        let jobs = 12
        let arrived = DispatchSemaphore(value: 0)
        let released = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        for _ in 0..<jobs {
            threads.run {
                arrived.signal()
                // Each job waits until every job has started: a pool that queued one behind another would hang here.
                if released.wait(timeout: .now() + 10) == .success { finished.signal() }
            }
        }
        var started = 0
        for _ in 0..<jobs where arrived.wait(timeout: .now() + 10) == .success { started += 1 }
        #expect(started == jobs, "jobs waited behind others")
        for _ in 0..<jobs { released.signal() }
        var done = 0
        for _ in 0..<jobs where finished.wait(timeout: .now() + 10) == .success { done += 1 }
        #expect(done == jobs)
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
        let threads = BlockingThreads(idleTimeout: 0.2, maximumIdle: 2)
        let release = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        for _ in 0..<4 {
            threads.run {
                _ = release.wait(timeout: .now() + 10)
                finished.signal()
            }
        }
        for _ in 0..<4 { release.signal() }
        for _ in 0..<4 { #expect(finished.wait(timeout: .now() + 10) == .success) }
        for _ in 0..<1000 where threads.counts.idle < 2 { usleep(1000) }
        #expect(threads.counts.idle == 2, "at most two wait")
        for _ in 0..<3000 where threads.counts.idle > 0 { usleep(1000) }
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
