#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// How the daemon's log lines look on standard error.
/// - `plain`: time, level, label and message, for a terminal or a file.
/// - `journal`: a syslog priority prefix (`<3>` for an error … `<7>` for debug) that journald turns into the entry's
///   priority, so `journalctl -p err` filters; no time (journald stamps each line).
/// - `json`: one object a line (`time`, `level`, `label`, `message`, `metadata`), for log shippers.
public enum LogFormat: String, Sendable, CaseIterable {
    case plain
    case journal
    case json

    /// `journal` when standard error is the journal's stream: systemd sets `JOURNAL_STREAM` to that stream's device
    /// and inode (`DEV:INO`), which a redirection elsewhere no longer matches. `plain` otherwise.
    public static func detected(environment: [String: String] = ProcessInfo.processInfo.environment) -> LogFormat {
        guard let stream = environment["JOURNAL_STREAM"] else { return .plain }
        var info = stat()
        guard fstat(STDERR_FILENO, &info) == 0 else { return .plain }
        return stream == "\(info.st_dev):\(info.st_ino)" ? .journal : .plain
    }

    /// syslog's priority for a level (RFC 5424: 2 critical, 3 error, 4 warning, 5 notice, 6 info, 7 debug).
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// The handler that writes this format to standard error.
    public func handler(label: String, level: Logger.Level) -> any LogHandler {
        switch self {
        case .plain:
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        case .journal: return LineLogHandler(label: label, style: .journal, level: level)
        case .json: return LineLogHandler(label: label, style: .json, level: level)
        }
    }

    /// RFC 3339 in UTC with milliseconds ("2026-12-07T05:53:12.123Z"); a value type, so no formatter is made per line.
    static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func timestamp(_ time: Date) -> String {
        time.formatted(timestampStyle)
    }
}

/// A LogHandler that writes each event as a journal or JSON line (`LogFormat`) to standard error, with one write(2),
/// so lines from several threads never interleave.
public struct LineLogHandler: LogHandler {
    public enum Style: Sendable {
        case journal
        case json

        /// One event's text (without the final newline); `time` is shown by `json` only (journald stamps lines).
        public func line(
            level: Logger.Level, message: String, label: String, metadata: Logger.Metadata, time: Date
        ) -> String {
            let fields = metadata.sorted { $0.key < $1.key }
            switch self {
            case .journal:
                let shown =
                    fields.isEmpty ? "" : " [" + fields.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "]"
                // journald reads the prefix of each line: a message of several lines keeps its priority on each.
                let prefix = "<\(LogFormat.priority(level))>"
                return message.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map {
                    $0.offset == 0 ? "\(prefix)\(label):\(shown) \($0.element)" : "\(prefix)\(label):   \($0.element)"
                }.joined(separator: "\n")
            case .json:
                var object: [String: Any] = [
                    "time": LogFormat.timestamp(time), "level": level.rawValue, "label": label, "message": message,
                ]
                if !fields.isEmpty {
                    object["metadata"] = Dictionary(uniqueKeysWithValues: fields.map { ($0.key, "\($0.value)") })
                }
                guard
                    let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
                    let text = String(data: data, encoding: .utf8)
                else { return #"{"level":"error","message":"a log line could not be encoded as JSON"}"# }
                return text
            }
        }
    }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let style: Style

    public init(label: String, style: Style, level: Logger.Level) {
        self.label = label
        self.style = style
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        let text =
            style.line(level: event.level, message: "\(event.message)", label: label, metadata: merged, time: Date())
            + "\n"
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(STDERR_FILENO, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
