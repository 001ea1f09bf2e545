/// Decides which events are told and which are only counted, so a link that flaps every few seconds
/// yields one message per `repeat_after`, not hundreds, while the first failure and every recovery are
/// told at once. Pure: the caller passes the time of each event.
public struct NotificationThrottle: Sendable {
    public enum Decision: Sendable, Equatable {
        /// Tell it. `suppressedRepeats` events with the same key were held back since the previous one was
        /// told at `since` (nil when none were), so the message can say "(and 4 more times since 10:02)".
        case send(suppressedRepeats: Int, since: Double?)
        /// The same event was told less than `window` seconds ago: only counted.
        case suppress
    }

    /// A recovery and the failure it ends. A recovery is always told, and it clears the failure's window,
    /// so the next failure is told at once even inside the window.
    public static let recoveries: [NotificationEvent.Kind: NotificationEvent.Kind] = [
        .linkUp: .linkDown,
        .checkRecovered: .checkFailing,
        .replicationResumed: .replicationStalled,
        .archiveRecovered: .archiveFailed,
    ]

    private struct Entry: Sendable {
        var lastSent: Double
        var suppressed: Int
    }

    /// Seconds during which a repeat of a told event is only counted (`repeat_after`).
    public let window: Double
    private var entries: [String: Entry] = [:]

    public init(window: Double) {
        self.window = window
    }

    public init(configuration: NotificationConfiguration) {
        self.init(window: configuration.repeatAfter.seconds)
    }

    public mutating func admit(_ event: NotificationEvent, at now: Double) -> Decision {
        if let failure = Self.recoveries[event.kind] {
            var counterpart = event
            counterpart.kind = failure
            entries[counterpart.repeatKey] = nil
            return .send(suppressedRepeats: 0, since: nil)
        }
        let key = event.repeatKey
        if var entry = entries[key], now - entry.lastSent < window, now >= entry.lastSent {
            entry.suppressed += 1
            entries[key] = entry
            return .suppress
        }
        let previous = entries[key]
        entries[key] = Entry(lastSent: now, suppressed: 0)
        prune(at: now)
        guard let previous, previous.suppressed > 0 else { return .send(suppressedRepeats: 0, since: nil) }
        return .send(suppressedRepeats: previous.suppressed, since: previous.lastSent)
    }

    /// Events whose window has passed with nothing held back carry no information; dropping them keeps the
    /// table as small as the set of recently told events.
    private mutating func prune(at now: Double) {
        guard entries.count > 256 else { return }
        entries = entries.filter { $0.value.suppressed > 0 || now - $0.value.lastSent < window }
    }
}
