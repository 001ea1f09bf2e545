import Foundation
import NIOPosix
import ServiceLifecycle
import Testing
import UnderstudyCore
import UnderstudyNode
import UnderstudyNotify
import UnderstudyTestSupport

@Suite(.timeLimit(.minutes(1)))
struct NotificationServiceTests {
    let clock = ManualClock(now: 1_790_000_000)
    let log = NotifyLogRecorder()

    func service(
        _ channels: [any NotificationChannel], repeatAfter: Double = 600, queueLimit: Int = 1000
    ) -> NotificationService {
        let clock = self.clock
        return NotificationService(
            channels: channels, repeatAfter: repeatAfter, logger: log.logger(),
            now: { clock.now }, sleep: { try? await clock.sleep(seconds: $0) }, queueLimit: queueLimit)
    }

    func event(_ kind: NotificationEvent.Kind, topic: String = "lan") -> NotificationEvent {
        NotificationEvent(
            kind: kind, severity: kind == .linkUp ? .info : .warning, node: "beta", group: "web", topic: topic,
            summary: "\(kind.rawValue) \(topic)", time: clock.now)
    }

    @Test func tellsFirstEvent_countsRepeats_andTellsRecoveryAtOnce() async {
        let channel = ScriptedChannel(name: "test")
        let notifier = service([channel])
        let start = clock.now
        for _ in 0..<5 {
            notifier.notify(event(.linkDown))
            clock.advance(by: 1)
        }
        clock.advance(by: 600)
        notifier.notify(event(.linkDown))
        notifier.notify(event(.linkUp))
        notifier.notify(event(.linkDown))
        #expect(await notifier.drain(timeout: 5))

        let told = channel.delivered
        #expect(told.map(\.event.kind) == [.linkDown, .linkDown, .linkUp, .linkDown])
        #expect(told.map(\.suppressedRepeats) == [0, 4, 0, 0])
        #expect(told[1].repeatsSince == start)
        #expect(told[1].subject.hasPrefix("[understudy] warning: link-down lan (and 4 more times since "))
        #expect(log.lines(containing: "debug notification held back").count == 4)
        #expect(log.lines(containing: "info notification sent by test: link-down lan").count == 3)
    }

    @Test func retriesFailedDelivery_after5sThen15s_untilItGoesThrough() async {
        let channel = ScriptedChannel(name: "flaky", failures: 2)
        let notifier = service([channel])
        notifier.notify(event(.takeoverFinished))
        #expect(await clock.waitForSleeps(1))
        #expect(clock.sleeps == [5])
        #expect(
            log.lines(containing: "warning notification by flaky failed (attempt 1 of 6): relay down; next attempt at ")
                .count == 1)
        #expect(log.lines(containing: "(in 5 s)").count == 1)

        clock.advance(by: 4.9)
        #expect(channel.attempts == 1)
        clock.advance(by: 0.1)
        #expect(await clock.waitForSleeps(2))
        #expect(clock.sleeps == [5, 15])
        #expect(channel.attempts == 2)
        clock.advance(by: 15)
        #expect(await notifier.drain(timeout: 5))
        #expect(channel.attempts == 3)
        #expect(channel.delivered.count == 1)
        #expect(
            log.lines(containing: "info notification sent by flaky after 3 attempts: takeover-finished lan").count == 1)
    }

    @Test func givesUp_afterSixAttempts_andLogsIt() async {
        let channel = ScriptedChannel(name: "dead", failures: 100)
        let notifier = service([channel])
        notifier.notify(event(.takeoverFailed))
        for (index, delay) in NotificationRetrySchedule.delays.enumerated() {
            #expect(await clock.waitForSleeps(index + 1))
            clock.advance(by: delay)
        }
        #expect(await notifier.drain(timeout: 5))
        #expect(clock.sleeps == [5, 15, 60, 300, 900])
        #expect(channel.attempts == 6)
        #expect(
            log.lines(
                containing:
                    "error notification by dead failed (attempt 6 of 6), giving up: takeover-failed lan: relay down"
            ).count == 1)
    }

    @Test func deliversToEveryChannel_andASlowOneDelaysNoOther() async {
        let slow = ScriptedChannel(name: "slow", gated: true)
        let fast = ScriptedChannel(name: "fast")
        let notifier = service([slow, fast])
        notifier.notify(event(.primaryFailed))
        notifier.notify(event(.takeoverStarted))
        #expect(await eventually { fast.delivered.count == 2 })
        #expect(slow.delivered.isEmpty)
        slow.openGate()
        #expect(await notifier.drain(timeout: 5))
        // Each channel keeps the order of the events.
        #expect(slow.delivered.map(\.event.kind) == [.primaryFailed, .takeoverStarted])
        #expect(fast.delivered.map(\.event.kind) == [.primaryFailed, .takeoverStarted])
    }

    @Test func dropsEventsBeyondQueueLimit_andSaysSoOnce() async {
        let stuck = ScriptedChannel(name: "stuck", gated: true)
        let notifier = service([stuck], queueLimit: 3)
        notifier.notify(event(.checkFailing, topic: "first"))
        #expect(await eventually { stuck.blocked == 1 })
        for index in 0..<10 { notifier.notify(event(.checkFailing, topic: "check\(index)")) }
        stuck.openGate()
        #expect(await notifier.drain(timeout: 5))
        // The first is being delivered, three wait: the other seven are dropped.
        #expect(stuck.delivered.map(\.event.topic) == ["first", "check0", "check1", "check2"])
        #expect(
            log.lines(containing: "warning notifications by stuck are 3 behind; dropping new ones until they catch up")
                .count == 1)
    }

    @Test func drainGivesUp_onPendingRetries_afterItsTimeout() async {
        let channel = ScriptedChannel(name: "down", failures: 100)
        let notifier = service([channel])
        notifier.notify(event(.stepDown))
        #expect(await clock.waitForSleeps(1))
        let started = ContinuousClock.now
        #expect(await notifier.drain(timeout: 0.2) == false)
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(
            log.lines(containing: "warning abandoning 1 undelivered notification(s) after waiting 0.2 s").count == 1)
        #expect(await eventually { clock.sleeping == 0 })
        #expect(channel.attempts == 1)
    }

    /// As a Service it stops last in the daemon's group: at a graceful shutdown it still delivers what is queued.
    @Test func asAService_atAGracefulShutdown_deliversWhatIsStillQueued_beforeItEnds() async throws {
        let gated = ScriptedChannel(name: "mail", gated: true)
        let notifier = service([gated])
        let group = ServiceGroup(configuration: .init(services: [.init(service: notifier)], logger: log.logger()))
        let running = Task { try await group.run() }
        notifier.notify(event(.stepDown))
        #expect(await eventually { gated.blocked == 1 })
        await group.triggerGracefulShutdown()
        try await Task.sleep(for: .milliseconds(100))
        #expect(gated.delivered.isEmpty)
        gated.openGate()
        try await running.value
        #expect(gated.delivered.map(\.event.kind) == [.stepDown])
    }

    @Test func buildsOneChannelPerConfiguredKind() {
        let configuration = NotificationConfiguration(
            email: EmailNotification(
                server: PeerAddress(host: "10.77.1.25", port: 25), from: "u@example.com", to: ["ops@example.com"]),
            webhook: WebhookNotification(url: "https://hooks.example.com/x"),
            command: CommandNotification(command: "/usr/local/bin/page"))
        let notifier = NotificationService(
            configuration: configuration, node: "beta", logger: log.logger(),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        #expect(
            notifier.channels.map(\.name) == [
                "email to ops@example.com via 10.77.1.25:25",
                "webhook https://hooks.example.com/x", "command /usr/local/bin/page",
            ])
        let silent = NotificationService(
            configuration: NotificationConfiguration(), node: "beta", logger: log.logger(),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        silent.notify(event(.linkDown))
        #expect(silent.channels.isEmpty)
    }
}
