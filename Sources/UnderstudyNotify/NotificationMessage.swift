#if canImport(Glibc)
import Glibc
#endif
import Foundation
import UnderstudyCore

/// One event as it leaves the node, with the repeats the throttle held back, in each channel's form:
/// a subject and a text for mail, JSON for a webhook, environment variables for a command.
public struct NotificationMessage: Sendable, Equatable {
    public var event: NotificationEvent
    /// Events with the same key that were counted, not told, since the previous message at `repeatsSince`.
    public var suppressedRepeats: Int
    public var repeatsSince: Double?

    public init(event: NotificationEvent, suppressedRepeats: Int = 0, repeatsSince: Double? = nil) {
        self.event = event
        self.suppressedRepeats = suppressedRepeats
        self.repeatsSince = repeatsSince
    }

    /// "(and 4 more times since 10:02)", or nil when nothing was held back.
    public var repeatNote: String? {
        repeatsText.map { "(and \($0))" }
    }

    /// "4 more times since 10:02".
    private var repeatsText: String? {
        guard suppressedRepeats > 0 else { return nil }
        let times = suppressedRepeats == 1 ? "1 more time" : "\(suppressedRepeats) more times"
        guard let repeatsSince else { return times }
        return "\(times) since \(Self.localClockTime(repeatsSince, relativeTo: event.time))"
    }

    /// "[understudy] critical: beta took over group web (epoch 3) in 0.42 s (and 2 more times since 10:02)".
    public var subject: String {
        let line = "[understudy] \(event.severity.rawValue): \(event.summary)"
        return repeatNote.map { "\(line) \($0)" } ?? line
    }

    /// The mail body: the summary, the facts of the event, then its detail.
    public var text: String {
        var lines = [event.summary]
        if let repeatsText { lines.append("The same happened \(repeatsText), counted but not told each time.") }
        lines.append("")
        lines.append("event:    \(event.kind.rawValue)")
        lines.append("severity: \(event.severity.rawValue)")
        lines.append("node:     \(event.node)")
        if let group = event.group { lines.append("group:    \(group)") }
        if !event.topic.isEmpty { lines.append("topic:    \(event.topic)") }
        lines.append("time:     \(Self.iso8601(event.time))")
        if !event.detail.isEmpty {
            lines.append("")
            lines.append(event.detail)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The webhook's body: every field always present (group null when there is none), keys sorted.
    public var json: [UInt8] {
        let object: [String: Any] = [
            "kind": event.kind.rawValue,
            "severity": event.severity.rawValue,
            "node": event.node,
            "group": event.group.map { $0 as Any } ?? NSNull(),
            "topic": event.topic,
            "summary": event.summary,
            "detail": event.detail,
            "time": Self.iso8601(event.time),
            "repeats": suppressedRepeats,
            "repeats_since": repeatsSince.map { Self.iso8601($0) as Any } ?? NSNull(),
        ]
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return Array(data)
    }

    /// The variables a notification command gets.
    public var environment: [String: String] {
        [
            "UNDERSTUDY_EVENT": event.kind.rawValue,
            "UNDERSTUDY_SEVERITY": event.severity.rawValue,
            "UNDERSTUDY_NODE": event.node,
            "UNDERSTUDY_GROUP": event.group ?? "",
            "UNDERSTUDY_TOPIC": event.topic,
            "UNDERSTUDY_SUMMARY": event.summary,
            "UNDERSTUDY_DETAIL": event.detail,
            "UNDERSTUDY_TIME": Self.iso8601(event.time),
            "UNDERSTUDY_REPEATS": String(suppressedRepeats),
        ]
    }

    /// UTC with a "Z", to the second: "2026-11-22T10:02:05Z".
    public static func iso8601(_ time: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }

    /// "10:02" in local time; with the date when `time` is not within a day before `reference`.
    static func localClockTime(_ time: Double, relativeTo reference: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = abs(reference - time) < 86_400 ? "HH:mm" : "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }
}
