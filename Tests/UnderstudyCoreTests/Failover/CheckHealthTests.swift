import Testing
import UnderstudyCore

@Suite struct CheckHealthTests {
    @Test func startsUnknown() {
        let health = CheckHealth(rise: 2, fall: 3)
        #expect(health.state == .unknown)
        #expect(health.since == nil)
        #expect(health.lastResultAt == nil)
        #expect(health.lastMessage == "")
    }

    @Test func passesFromTheStart_afterRisePasses_withoutNews() {
        var health = CheckHealth(rise: 2, fall: 2)
        #expect(health.record(passed: true, message: "HTTP 200", at: 1) == nil)
        #expect(health.state == .unknown)
        #expect(health.record(passed: true, message: "HTTP 200", at: 2) == nil)
        #expect(health.state == .passing)
        #expect(health.since == 2)
    }

    @Test func failsFromTheStart_afterFallFailures_isNews() {
        var health = CheckHealth(rise: 2, fall: 3)
        #expect(health.record(passed: false, message: "refused", at: 1) == nil)
        #expect(health.record(passed: false, message: "refused", at: 2) == nil)
        #expect(health.state == .unknown)
        #expect(health.record(passed: false, message: "timed out", at: 3) == .nowFailing(message: "timed out"))
        #expect(health.state == .failing)
        #expect(health.since == 3)
    }

    @Test func oneFailure_belowFall_changesNothing() {
        var health = passing(rise: 2, fall: 2)
        #expect(health.record(passed: false, message: "slow", at: 10) == nil)
        #expect(health.state == .passing)
        #expect(health.record(passed: true, message: "ok", at: 11) == nil)
        #expect(health.record(passed: false, message: "slow", at: 12) == nil)
        #expect(health.state == .passing, "failures must be consecutive")
    }

    @Test func fallFailuresInARow_makeItFail_once() {
        var health = passing(rise: 2, fall: 2)
        _ = health.record(passed: false, message: "a", at: 10)
        #expect(health.record(passed: false, message: "b", at: 11) == .nowFailing(message: "b"))
        #expect(health.record(passed: false, message: "c", at: 12) == nil)
        #expect(health.state == .failing)
        #expect(health.since == 11)
        #expect(health.consecutiveFailures == 3)
    }

    @Test func recovered_afterRisePassesInARow_onlyAfterFailing() {
        var health = passing(rise: 3, fall: 1)
        #expect(health.record(passed: false, message: "down", at: 10) == .nowFailing(message: "down"))
        #expect(health.record(passed: true, message: "up", at: 11) == nil)
        #expect(health.record(passed: true, message: "up", at: 12) == nil)
        #expect(health.record(passed: false, message: "down", at: 13) == nil, "already failing")
        #expect(health.record(passed: true, message: "up", at: 14) == nil)
        #expect(health.record(passed: true, message: "up", at: 15) == nil)
        #expect(health.record(passed: true, message: "up", at: 16) == .recovered)
        #expect(health.state == .passing)
        #expect(health.since == 16)
        #expect(health.record(passed: true, message: "up", at: 17) == nil)
    }

    @Test func keepsTheLastMessage_andItsTime() {
        var health = CheckHealth(rise: 1, fall: 1)
        _ = health.record(passed: true, message: "HTTP 200 in 3 ms", at: 5)
        _ = health.record(passed: false, message: "connection refused", at: 6)
        #expect(health.lastMessage == "connection refused")
        #expect(health.lastResultAt == 6)
    }

    @Test func riseAndFall_belowOne_countAsOne() {
        var health = CheckHealth(rise: 0, fall: -3)
        #expect(health.rise == 1)
        #expect(health.fall == 1)
        #expect(health.record(passed: false, message: "x", at: 1) == .nowFailing(message: "x"))
        #expect(health.record(passed: true, message: "y", at: 2) == .recovered)
    }

    @Test func alternatingResults_neverSettle() {
        var health = CheckHealth(rise: 2, fall: 2)
        for step in 0..<20 {
            #expect(health.record(passed: step % 2 == 0, message: "", at: Double(step)) == nil)
        }
        #expect(health.state == .unknown)
    }

    func passing(rise: Int, fall: Int) -> CheckHealth {
        var health = CheckHealth(rise: rise, fall: fall)
        for step in 0..<rise { _ = health.record(passed: true, message: "ok", at: Double(step)) }
        #expect(health.state == .passing)
        return health
    }
}
