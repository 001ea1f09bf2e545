import NIOConcurrencyHelpers
import Testing
import UnderstudySupport

struct ReadinessLatchTests {
    @Test func theAction_runsOnce_whenTheLastPartIsUp_inAnyOrder() {
        let calls = NIOLockedValueBox(0)
        let latch = ReadinessLatch(parts: ["control", "peer", "console"]) { calls.withLockedValue { $0 += 1 } }
        latch.up("peer")
        latch.up("unknown")
        latch.up("peer")
        #expect(calls.withLockedValue { $0 } == 0)
        latch.up("console")
        latch.up("control")
        latch.up("control")
        #expect(calls.withLockedValue { $0 } == 1)
    }

    @Test func noParts_isReadyAtOnce() {
        let calls = NIOLockedValueBox(0)
        _ = ReadinessLatch(parts: []) { calls.withLockedValue { $0 += 1 } }
        #expect(calls.withLockedValue { $0 } == 1)
    }
}
