import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode
import UnderstudyReplication
import UnderstudySupport
import UnderstudyState
import UnderstudyTestSupport

/// The manual clock that tests of waiting parts move by hand, and the node runtime reading the clock it is given.
struct ManualClockTests {
    @Test func sleepers_wakeWhenTimeReachesThem_inOrderOfTheirDeadlines() async throws {
        let clock = ManualClock(now: 1_000)
        let woken = WokenOrder()
        let late = Task {
            try await clock.sleep(seconds: 5)
            woken.append("late")
        }
        let early = Task {
            try await clock.sleep(seconds: 2)
            woken.append("early")
        }
        #expect(await eventually { clock.sleeping == 2 })
        clock.advance(by: 1)
        try await Task.sleep(for: .milliseconds(50))
        #expect(woken.names.isEmpty)
        clock.advance(by: 1.5)
        try await early.value
        #expect(woken.names == ["early"])
        clock.advance(by: 10)
        try await late.value
        #expect(woken.names == ["early", "late"])
        #expect(clock.now == 1_012.5)
        #expect(clock.wallTime() == Date(timeIntervalSince1970: 1_012.5))
    }

    @Test func aCancelledSleeper_throwsAtOnce_withoutTimeMoving() async throws {
        let clock = ManualClock(now: 1_000)
        let sleeper = Task { try await clock.sleep(seconds: 60) }
        #expect(await eventually { clock.sleeping == 1 })
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeping == 0)
        #expect(clock.now == 1_000)
    }

    @Test func monotonicReading_movesWithTheWallReading_fromItsOwnOrigin() {
        let clock = ManualClock(now: 1_790_000_000, monotonicOrigin: 50)
        #expect(clock.monotonicSeconds() == 50)
        clock.advance(by: 2.25)
        #expect(clock.monotonicSeconds() == 52.25)
        clock.advance(by: -10)
        #expect(clock.monotonicSeconds() == 52.25, "time never goes back")
    }

    @Test func nodeRuntime_stampsItsStartAndItsEvents_withTheClockItIsGiven() async throws {
        let root = TestTree.makeTemporaryDirectory("clock-runtime")
        defer { TestTree.remove(root) }
        let configuration = try TestConfiguration.pair(root: root)
        let clock = ManualClock(now: 1_700_000_000, monotonicOrigin: 10)
        // Opening the state database fsyncs: on a thread of its own, never on the cooperative pool.
        let runtime = try await onThread {
            try NodeRuntime(configuration: configuration, name: "alpha", logger: .init(label: "test"), clock: clock)
        }
        #expect(runtime.identity.startedAt == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(runtime.now() == 10)
        clock.advance(by: 90)
        let recorded = try await onThread {
            runtime.event(.info, EventKind(rawValue: "test-event"), "stamped by the manual clock")
            return try runtime.database.recentEvents(limit: 1).first
        }
        #expect(recorded?.time == Date(timeIntervalSince1970: 1_700_000_090))
        #expect(runtime.now() == 100)
    }
}

private final class WokenOrder: @unchecked Sendable {
    private let lock = NSLock()
    private var order: [String] = []
    var names: [String] { lock.withLock { order } }
    func append(_ name: String) { lock.withLock { order.append(name) } }
}
