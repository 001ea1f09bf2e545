import Metrics

/// What failover tells Prometheus as it happens (through swift-metrics; `understudy run` points it at `/metrics`):
/// each change of a group's holder made here, and how long it took.
enum FailoverMetrics {
    /// `kind`: "failover" (the primary failed, or `understudy failover`) or "switchover" (a switchover or failback).
    static func takeover(group: String, kind: String, seconds: Double) {
        let dimensions = [("group", group), ("kind", kind)]
        Counter(label: "understudy_takeovers_total", dimensions: dimensions).increment()
        Metrics.Timer(label: "understudy_takeover_duration_seconds", dimensions: dimensions)
            .recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }
}
