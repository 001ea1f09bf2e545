import NIOConcurrencyHelpers
import UnderstudyCore

/// The lag of every share over the last day, for the console's charts: one sample every `interval` seconds, kept in
/// memory (a restart starts it anew). Bounded: at most a day of samples per share.
final class LagHistory: Sendable {
    static let interval = 10.0
    static let kept = 86_400.0
    /// Samples, oldest first: (Unix time, lag seconds), per "group/share".
    private let samples = NIOLockedValueBox<[String: [(Double, Double)]]>([:])

    func record(_ report: NodeStatusReport, at now: Double) {
        samples.withLockedValue { samples in
            for group in report.groups {
                for share in group.shares {
                    let key = group.name + "/" + share.name
                    var series = samples[key, default: []]
                    series.append((now, share.lagSeconds))
                    if let first = series.first, now - first.0 > Self.kept + Self.interval {
                        series.removeFirst(series.prefix { now - $0.0 > Self.kept }.count)
                    }
                    samples[key] = series
                }
            }
        }
    }

    /// `group`'s shares over the last `window` seconds, at most `points` per share (each the largest lag of its
    /// stretch, so that a peak is never averaged away).
    func series(group: String, window: Double, now: Double, points: Int = 360) -> [String: [[Double]]] {
        let all = samples.withLockedValue { $0 }
        var result: [String: [[Double]]] = [:]
        for (key, series) in all where key.hasPrefix(group + "/") {
            let share = String(key.dropFirst(group.count + 1))
            let recent = series.filter { now - $0.0 <= window }
            let stretch = max(1, Int((Double(recent.count) / Double(points)).rounded(.up)))
            result[share] = stride(from: 0, to: recent.count, by: stretch).map { start in
                let part = recent[start..<min(start + stretch, recent.count)]
                return [part.last!.0, part.map(\.1).max()!]
            }
        }
        return result
    }
}
