// Tells administrators what happened, on every configured channel, without ever holding up the caller.
//
// `notify` only decides (the throttle) and queues; each channel has its own queue and at most one worker,
// so messages leave a channel in the order they came and a slow or dead channel delays no other. A failed
// delivery leaves the queue for a retry task of its own (NotificationRetrySchedule: 5 s … 15 min), so one
// unreachable relay does not hold back the messages after it. Time comes from the `now` and `sleep`
// closures, so tests drive the schedule without waiting.

import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import UnderstudyCore
import UnderstudySupport

public final class NotificationService: Service, Sendable {
    public static let defaultQueueLimit = 1000

    private struct ChannelQueue {
        var waiting: [NotificationMessage] = []
        var working = false
        var retrying = 0
        var overflowLogged = false
    }

    private struct State {
        var throttle: NotificationThrottle
        var queues: [ChannelQueue]
        var tasks: [Int: Task<Void, Never>] = [:]
        /// Tasks that ended before they were registered (so they are not registered then).
        var ended: Set<Int> = []
        var nextTaskID = 0

        var isIdle: Bool { queues.allSatisfy { $0.waiting.isEmpty && !$0.working && $0.retrying == 0 } }
    }

    public let channels: [any NotificationChannel]
    private let logger: Logger
    private let now: @Sendable () -> Double
    private let sleep: @Sendable (Double) async -> Void
    private let queueLimit: Int
    private let state: NIOLockedValueBox<State>

    /// The channels of `configuration` (email, webhook, command; none is fine: `notify` then does nothing).
    public convenience init(
        configuration: NotificationConfiguration, node: String, logger: Logger,
        eventLoopGroup: any EventLoopGroup, stateDirectory: String = NodeConfiguration.defaultStateDirectory,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        sleep: @escaping @Sendable (Double) async -> Void = NotificationService.taskSleep
    ) {
        var channels: [any NotificationChannel] = []
        if let email = configuration.email {
            channels.append(SMTPMailer(configuration: email, eventLoopGroup: eventLoopGroup))
        }
        if let webhook = configuration.webhook {
            channels.append(WebhookNotifier(configuration: webhook, eventLoopGroup: eventLoopGroup))
        }
        if let command = configuration.command {
            channels.append(CommandNotifier(configuration: command))
        }
        if let snmp = configuration.snmp {
            do {
                channels.append(try SNMPTrapSender(configuration: snmp, node: node, stateDirectory: stateDirectory))
            } catch {
                logger.error("no SNMP traps: \(error)")
            }
        }
        var logger = logger
        logger[metadataKey: "node"] = "\(node)"
        self.init(
            channels: channels, repeatAfter: configuration.repeatAfter.seconds, logger: logger, now: now, sleep: sleep)
    }

    public init(
        channels: [any NotificationChannel], repeatAfter: Double, logger: Logger,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        sleep: @escaping @Sendable (Double) async -> Void = NotificationService.taskSleep,
        queueLimit: Int = NotificationService.defaultQueueLimit
    ) {
        self.channels = channels
        self.logger = logger
        self.now = now
        self.sleep = sleep
        self.queueLimit = queueLimit
        self.state = NIOLockedValueBox(
            State(
                throttle: NotificationThrottle(window: repeatAfter),
                queues: Array(repeating: ChannelQueue(), count: channels.count)))
    }

    /// Returns at once; never throws. Outcomes are logged.
    public func notify(_ event: NotificationEvent) {
        guard !channels.isEmpty else { return }
        let time = now()
        var overflowing: [Int] = []
        var toStart: [Int] = []
        let decision = state.withLockedValue { state -> NotificationThrottle.Decision in
            let decision = state.throttle.admit(event, at: time)
            guard case .send(let repeats, let since) = decision else { return decision }
            let message = NotificationMessage(event: event, suppressedRepeats: repeats, repeatsSince: since)
            for index in state.queues.indices {
                if state.queues[index].waiting.count + state.queues[index].retrying >= queueLimit {
                    if !state.queues[index].overflowLogged { overflowing.append(index) }
                    state.queues[index].overflowLogged = true
                    continue
                }
                state.queues[index].waiting.append(message)
                if !state.queues[index].working {
                    state.queues[index].working = true
                    toStart.append(index)
                }
            }
            return decision
        }
        if decision == .suppress {
            logger.debug("notification held back, a repeat within the repeat window: \(event.summary)")
        }
        for index in overflowing {
            logger.warning(
                "notifications by \(channels[index].name) are \(queueLimit) behind; dropping new ones until they catch up"
            )
        }
        for index in toStart {
            spawn { await self.work(channel: index) }
        }
    }

    /// How long the daemon's shutdown waits for what is still queued (a step-down at shutdown, a last alert).
    public static let drainAtShutdown = 3.0

    /// Delivers as `notify` queues, until the daemon shuts down; then delivers what is still queued, for at most
    /// `drainAtShutdown` (it stops last: the other parts' last notifications are queued by then).
    public func run() async {
        await cancelWhenGracefulShutdown { await waitUntilCancelled() }
        _ = await drain(timeout: Self.drainAtShutdown)
    }

    /// Waits until every queued message is delivered or given up, for at most `timeout` seconds (real time).
    /// What is left then is abandoned and logged. Returns true when nothing was left.
    @discardableResult
    public func drain(timeout: Double) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(0, timeout) * 1000))
        while ContinuousClock.now < deadline {
            if state.withLockedValue({ $0.isIdle }) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        let (tasks, left) = state.withLockedValue { state in
            (Array(state.tasks.values), state.queues.reduce(0) { $0 + $1.waiting.count + $1.retrying })
        }
        if left == 0 && tasks.isEmpty { return true }
        logger.warning("abandoning \(left) undelivered notification(s) after waiting \(DurationText.seconds(timeout))")
        for task in tasks { task.cancel() }
        return false
    }

    public static let taskSleep: @Sendable (Double) async -> Void = { seconds in
        try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
    }

    /// The channel's worker: first attempts, in order, until its queue is empty.
    private func work(channel index: Int) async {
        while !Task.isCancelled {
            let next = state.withLockedValue { state -> NotificationMessage? in
                guard !state.queues[index].waiting.isEmpty else {
                    state.queues[index].working = false
                    state.queues[index].overflowLogged = false
                    return nil
                }
                return state.queues[index].waiting.removeFirst()
            }
            guard let message = next else { return }
            if await attempt(message, channel: index, number: 1) == false {
                state.withLockedValue { $0.queues[index].retrying += 1 }
                spawn { await self.retry(message, channel: index) }
            }
        }
        state.withLockedValue { state in
            state.queues[index].waiting.removeAll()
            state.queues[index].working = false
        }
    }

    private func retry(_ message: NotificationMessage, channel index: Int) async {
        var number = 2
        while let delay = NotificationRetrySchedule.delay(afterFailedAttempt: number - 1) {
            await sleep(delay)
            if Task.isCancelled { break }
            if await attempt(message, channel: index, number: number) { break }
            number += 1
        }
        state.withLockedValue { $0.queues[index].retrying -= 1 }
    }

    /// One delivery attempt, logged; true when delivered (or given up after the last attempt).
    private func attempt(_ message: NotificationMessage, channel index: Int, number: Int) async -> Bool {
        let channel = channels[index]
        do {
            try await channel.deliver(message)
            let after = number > 1 ? " after \(number) attempts" : ""
            logger.info("notification sent by \(channel.name)\(after): \(message.event.summary)")
            return true
        } catch {
            let total = NotificationRetrySchedule.attempts
            guard let delay = NotificationRetrySchedule.delay(afterFailedAttempt: number) else {
                let text =
                    "notification by \(channel.name) failed (attempt \(number) of \(total)), giving up: "
                    + "\(message.event.summary): \(error)"
                logger.error("\(text)")
                Counter(label: "understudy_notifications_failed_total", dimensions: [("channel", channel.name)])
                    .increment()
                return true
            }
            let next = Self.clockTime(now() + delay)
            let text =
                "notification by \(channel.name) failed (attempt \(number) of \(total)): \(error); "
                + "next attempt at \(next) (in \(DurationText.seconds(delay)))"
            logger.warning("\(text)")
            return false
        }
    }

    /// Starts a task that `drain` can cancel.
    private func spawn(_ body: @escaping @Sendable () async -> Void) {
        let id = state.withLockedValue { state in
            state.nextTaskID += 1
            return state.nextTaskID
        }
        let task = Task {
            await body()
            self.state.withLockedValue { state in
                if state.tasks.removeValue(forKey: id) == nil { state.ended.insert(id) }
            }
        }
        state.withLockedValue { state in
            if state.ended.remove(id) == nil { state.tasks[id] = task }
        }
    }

    private static func clockTime(_ time: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }
}
