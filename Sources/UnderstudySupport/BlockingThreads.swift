import Foundation

/// The threads `onThread` runs blocking work on. A job goes to a thread that waits idle if there is one, or else to a
/// new thread: never behind another job, because jobs may wait for each other (a commit waits for the group commit
/// that another job leads, a join for a body that another thread runs). A thread that finished its job waits
/// `idleTimeout` for the next, then ends; at most `maximumIdle` wait. Starting a thread for each job cost the live
/// mirror 5 % more CPU with ten groups, where a standby commits about 200 times a second.
public final class BlockingThreads: @unchecked Sendable {
    /// The process's threads for blocking work.
    public static let shared = BlockingThreads()

    private let idleTimeout: TimeInterval
    private let maximumIdle: Int
    /// Guards `jobs`, `idle` and `started`; idle threads wait on it.
    private let condition = NSCondition()
    /// Jobs handed to idle threads, not yet taken. There are never more than idle threads: each has its thread.
    private var jobs: [@Sendable () -> Void] = []
    private var idle = 0
    private var started = 0

    public init(idleTimeout: TimeInterval = 10, maximumIdle: Int = 16) {
        self.idleTimeout = idleTimeout
        self.maximumIdle = maximumIdle
    }

    /// Threads waiting for a job, and threads started so far (for tests).
    public var counts: (idle: Int, started: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (idle, started)
    }

    /// Runs `job` on an idle thread, or on a new one if none waits.
    public func run(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        if idle > jobs.count {
            jobs.append(job)
            condition.signal()
            condition.unlock()
            return
        }
        started += 1
        condition.unlock()
        let thread = Thread { [self] in serve(first: job) }
        thread.name = "understudy-blocking"
        thread.start()
    }

    /// A thread's life: its first job, then the jobs handed to it while it waits, until it waits in vain.
    private func serve(first: @escaping @Sendable () -> Void) {
        var job = first
        while true {
            job()
            guard let next = nextJob() else { return }
            job = next
        }
    }

    private func nextJob() -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        guard idle < maximumIdle else { return nil }
        idle += 1
        let deadline = Date(timeIntervalSinceNow: idleTimeout)
        while jobs.isEmpty {
            if !condition.wait(until: deadline) { break }
        }
        idle -= 1
        // A job handed over as the wait ran out is still taken: it was counted on this thread.
        return jobs.isEmpty ? nil : jobs.removeFirst()
    }
}
