import Testing
import UnderstudyCore

/// `failback = "auto"`: the group goes back only after the primary was in step for the whole wait.
@Suite struct FailbackTimerTests {
    @Test func failsBack_onlyAfterTheWholeWaitInStep() {
        var timer = FailbackTimer(after: 10)
        #expect(timer.observe(ready: true, at: 100) == .waiting(until: 110))
        #expect(timer.observe(ready: true, at: 105) == .none)
        #expect(timer.observe(ready: true, at: 109.9) == .none)
        #expect(timer.observe(ready: true, at: 110) == .failBack)
    }

    @Test func aBreak_startsTheWaitAgain() {
        var timer = FailbackTimer(after: 10)
        _ = timer.observe(ready: true, at: 100)
        #expect(timer.observe(ready: false, at: 108) == .interrupted(waited: 8))
        #expect(timer.observe(ready: false, at: 109) == .none)
        #expect(timer.observe(ready: true, at: 111) == .waiting(until: 121))
        #expect(timer.observe(ready: true, at: 115) == .none)
        #expect(timer.observe(ready: true, at: 121) == .failBack)
    }

    @Test func neverReady_neverFailsBack() {
        var timer = FailbackTimer(after: 1)
        for second in 0..<100 { #expect(timer.observe(ready: false, at: Double(second)) == .none) }
    }

    @Test func oneAttemptAtATime_andAFailedOneWaitsTheWholeTimeAgain() {
        var timer = FailbackTimer(after: 5)
        _ = timer.observe(ready: true, at: 0)
        #expect(timer.observe(ready: true, at: 5) == .failBack)
        #expect(timer.observe(ready: true, at: 6) == .none)
        #expect(timer.observe(ready: false, at: 7) == .none)
        timer.attemptEnded()
        #expect(timer.observe(ready: true, at: 8) == .waiting(until: 13))
        #expect(timer.observe(ready: true, at: 12) == .none)
        #expect(timer.observe(ready: true, at: 13) == .failBack)
    }
}
