import Foundation
import Logging
import UnderstudyCore
import UnderstudyNode
import UnderstudyNotify
import UnderstudyTestSupport

extension ManualClock {
    /// Waits (real time, bounded) until `count` sleeps have been asked for in all.
    func waitForSleeps(_ count: Int, seconds: Double = 10) async -> Bool {
        await eventually(seconds: seconds) { self.sleeps.count >= count && self.sleeping > 0 }
    }
}

/// A channel whose deliveries fail a given number of times, or wait for the test to open a gate.
final class ScriptedChannel: NotificationChannel, @unchecked Sendable {
    struct Refused: Error, CustomStringConvertible {
        var description: String { "relay down" }
    }

    let name: String
    private let lock = NSLock()
    private var failuresLeft: Int
    private var gateOpen: Bool
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var received: [NotificationMessage] = []
    private var tries = 0

    init(name: String, failures: Int = 0, gated: Bool = false) {
        self.name = name
        self.failuresLeft = failures
        self.gateOpen = !gated
    }

    var delivered: [NotificationMessage] { lock.withLock { received } }
    var attempts: Int { lock.withLock { tries } }
    /// Deliveries waiting at the closed gate.
    var blocked: Int { lock.withLock { waiters.count } }

    func deliver(_ message: NotificationMessage) async throws {
        await withCheckedContinuation { continuation in
            lock.withLock {
                if gateOpen { continuation.resume() } else { waiters.append(continuation) }
            }
        }
        try lock.withLock {
            tries += 1
            if failuresLeft > 0 {
                failuresLeft -= 1
                throw Refused()
            }
            received.append(message)
        }
    }

    func openGate() {
        lock.withLock {
            gateOpen = true
            waiters.forEach { $0.resume() }
            waiters.removeAll()
        }
    }
}

/// Log lines as "level message", for checking what an administrator would read.
final class NotifyLogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []

    var lines: [String] { lock.withLock { recorded } }
    func lines(containing text: String) -> [String] { lines.filter { $0.contains(text) } }

    func logger() -> Logger {
        var logger = Logger(label: "notify-test") { _ in Handler(recorder: self) }
        logger.logLevel = .debug
        return logger
    }

    fileprivate func record(_ line: String) { lock.withLock { recorded.append(line) } }

    private struct Handler: LogHandler {
        let recorder: NotifyLogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            recorder.record("\(event.level) \(event.message)")
        }
    }
}

/// Polls `condition` every 10 ms for at most `seconds` (real time).
func eventually(seconds: Double = 10, _ condition: @Sendable () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
