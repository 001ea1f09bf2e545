import Testing
import UnderstudyCore

struct NotificationThrottleTests {
    func event(
        _ kind: NotificationEvent.Kind, group: String? = "web", topic: String = "lan", at time: Double = 0
    ) -> NotificationEvent {
        NotificationEvent(
            kind: kind, severity: .warning, node: "beta", group: group, topic: topic,
            summary: "\(kind.rawValue) \(topic)", time: time)
    }

    @Test func sendsFirstEvent_andCountsRepeatsWithinWindow() {
        var throttle = NotificationThrottle(window: 600)
        #expect(throttle.admit(event(.linkDown), at: 1000) == .send(suppressedRepeats: 0, since: nil))
        #expect(throttle.admit(event(.linkDown), at: 1010) == .suppress)
        #expect(throttle.admit(event(.linkDown), at: 1599) == .suppress)
    }

    @Test func sendsAgainAfterWindow_withCountOfSuppressedRepeats() {
        var throttle = NotificationThrottle(window: 600)
        _ = throttle.admit(event(.linkDown), at: 1000)
        for offset in 1...4 { #expect(throttle.admit(event(.linkDown), at: 1000 + Double(offset)) == .suppress) }
        #expect(throttle.admit(event(.linkDown), at: 1600) == .send(suppressedRepeats: 4, since: 1000))
        // The window restarts at the event just told.
        #expect(throttle.admit(event(.linkDown), at: 1700) == .suppress)
        #expect(throttle.admit(event(.linkDown), at: 2200) == .send(suppressedRepeats: 1, since: 1600))
        #expect(throttle.admit(event(.linkDown), at: 2800) == .send(suppressedRepeats: 0, since: nil))
    }

    @Test func keysByKindGroupAndTopic() {
        var throttle = NotificationThrottle(window: 600)
        #expect(throttle.admit(event(.linkDown, topic: "lan"), at: 0) == .send(suppressedRepeats: 0, since: nil))
        #expect(throttle.admit(event(.linkDown, topic: "cable"), at: 1) == .send(suppressedRepeats: 0, since: nil))
        #expect(
            throttle.admit(event(.linkDown, group: "mail", topic: "lan"), at: 2)
                == .send(suppressedRepeats: 0, since: nil))
        #expect(throttle.admit(event(.checkFailing, topic: "lan"), at: 3) == .send(suppressedRepeats: 0, since: nil))
        #expect(throttle.admit(event(.linkDown, topic: "lan"), at: 4) == .suppress)
    }

    @Test(arguments: [
        (NotificationEvent.Kind.linkDown, NotificationEvent.Kind.linkUp),
        (.checkFailing, .checkRecovered),
        (.replicationStalled, .replicationResumed),
    ])
    func recoveryAlwaysSent_andFailureToldAgainAfterIt(
        _ failure: NotificationEvent.Kind, _ recovery: NotificationEvent.Kind
    ) {
        var throttle = NotificationThrottle(window: 600)
        #expect(throttle.admit(event(failure), at: 0) == .send(suppressedRepeats: 0, since: nil))
        #expect(throttle.admit(event(recovery), at: 10) == .send(suppressedRepeats: 0, since: nil))
        #expect(throttle.admit(event(recovery), at: 11) == .send(suppressedRepeats: 0, since: nil))
        #expect(throttle.admit(event(failure), at: 20) == .send(suppressedRepeats: 0, since: nil))
        #expect(throttle.admit(event(failure), at: 21) == .suppress)
    }

    @Test func recoveryOfOtherTopic_leavesWindowAlone() {
        var throttle = NotificationThrottle(window: 600)
        _ = throttle.admit(event(.linkDown, topic: "lan"), at: 0)
        _ = throttle.admit(event(.linkUp, topic: "cable"), at: 10)
        #expect(throttle.admit(event(.linkDown, topic: "lan"), at: 20) == .suppress)
    }

    @Test func takesWindowFromConfiguration() {
        var throttle = NotificationThrottle(
            configuration: NotificationConfiguration(repeatAfter: ConfigDuration(seconds: 30)))
        _ = throttle.admit(event(.takeoverFailed), at: 0)
        #expect(throttle.admit(event(.takeoverFailed), at: 29) == .suppress)
        #expect(throttle.admit(event(.takeoverFailed), at: 30) == .send(suppressedRepeats: 1, since: 0))
    }

    @Test func sendsAgain_whenClockGoesBackwards() {
        var throttle = NotificationThrottle(window: 600)
        _ = throttle.admit(event(.linkDown), at: 5000)
        #expect(throttle.admit(event(.linkDown), at: 4000) == .send(suppressedRepeats: 0, since: nil))
    }

    @Test func forgetsOldEvents_butKeepsCounts() {
        var throttle = NotificationThrottle(window: 10)
        _ = throttle.admit(event(.linkDown, topic: "kept"), at: 0)
        _ = throttle.admit(event(.linkDown, topic: "kept"), at: 1)
        for index in 0..<300 { _ = throttle.admit(event(.checkFailing, topic: "check\(index)"), at: 100) }
        #expect(throttle.admit(event(.linkDown, topic: "kept"), at: 200) == .send(suppressedRepeats: 1, since: 0))
    }

    @Test func retriesAfter5s15s1m5m15m_thenGivesUp() {
        let delays = (1...7).map { NotificationRetrySchedule.delay(afterFailedAttempt: $0) }
        #expect(delays == [5, 15, 60, 300, 900, nil, nil])
        #expect(NotificationRetrySchedule.attempts == 6)
        #expect(NotificationRetrySchedule.delay(afterFailedAttempt: 0) == nil)
    }
}
