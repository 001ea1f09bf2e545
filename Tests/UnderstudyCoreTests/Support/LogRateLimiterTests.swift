import Testing
import UnderstudyCore

@Suite struct LogRateLimiterTests {
    @Test func logsTheFirstOfEachKey_thenOnePerWindow_carryingTheCountHeldBack() {
        var limiter = LogRateLimiter(window: 10)
        #expect(limiter.admit("10.0.0.9 handshake", at: 0) == .log(suppressed: 0, since: nil))
        for second in 1...9 { #expect(limiter.admit("10.0.0.9 handshake", at: Double(second)) == .suppress) }
        // Another peer, or another reason, is its own kind.
        #expect(limiter.admit("10.0.0.8 handshake", at: 5) == .log(suppressed: 0, since: nil))
        #expect(limiter.admit("10.0.0.9 unknown_node", at: 5) == .log(suppressed: 0, since: nil))
        #expect(limiter.admit("10.0.0.9 handshake", at: 10) == .log(suppressed: 9, since: 0))
        #expect(limiter.admit("10.0.0.9 handshake", at: 25) == .log(suppressed: 0, since: 10))
    }

    @Test func drain_reportsWhatAStoppedFloodHeldBack_once() {
        var limiter = LogRateLimiter(window: 10)
        _ = limiter.admit("a", at: 0)
        for _ in 0..<500 { _ = limiter.admit("a", at: 1) }
        #expect(limiter.drain(at: 5).isEmpty, "the window has not passed")
        let drained = limiter.drain(at: 11)
        #expect(
            drained.count == 1 && drained.first?.key == "a" && drained.first?.suppressed == 500
                && drained.first?.since == 0)
        #expect(limiter.drain(at: 30).isEmpty)
    }

    @Test func manySources_shareOneKey_pastTheBound_soMemoryStaysBounded() {
        var limiter = LogRateLimiter(window: 10, maximumKeys: 4)
        for index in 0..<4 { #expect(limiter.admit("source \(index)", at: 0) == .log(suppressed: 0, since: nil)) }
        #expect(limiter.admit("source 4", at: 1) == .log(suppressed: 0, since: nil))
        for index in 5..<100_000 { #expect(limiter.admit("source \(index)", at: 1) == .suppress) }
        // Once the first sources' windows pass they make room; what the overflow held back is still counted.
        #expect(limiter.admit("source 100000", at: 12) == .log(suppressed: 0, since: nil))
        let drained = limiter.drain(at: 12)
        #expect(
            drained.count == 1 && drained.first?.key == LogRateLimiter.overflowKey
                && drained.first?.suppressed == 99_995)
    }

    @Test func suffix_saysHowManyAndOverWhatTime() {
        #expect(LogRateLimiter.suffix(suppressed: 0, since: 0, now: 10) == "")
        #expect(
            LogRateLimiter.suffix(suppressed: 41, since: 0, now: 12)
                == " (and 41 more like it in the last 12 s, not logged one by one)")
    }
}
