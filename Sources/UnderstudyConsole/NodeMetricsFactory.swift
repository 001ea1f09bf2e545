import CoreMetrics
import Prometheus

/// The swift-metrics factory `understudy run` bootstraps: what the engine reports as it happens lands in the
/// registry `/metrics` renders, each of its metrics with the help text Prometheus's conventions ask for (swift-
/// prometheus's own factory leaves it out). Anything it does not know goes to swift-prometheus's factory as is.
struct NodeMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    let plain: PrometheusMetricsFactory
    let buckets: [Duration]

    /// The engine's own metrics and what they mean.
    static let help: [String: String] = [
        "understudy_replication_sync_duration_seconds":
            "How long each sync took on the replica's node, full comparisons, live syncs and scans of agentless mounts apart (kind).",
        "understudy_takeovers_total":
            "Changes of a group's holder made by this node: failovers and switchovers (kind).",
        "understudy_takeover_duration_seconds": "How long each change of a group's holder took on this node.",
        "understudy_notifications_failed_total": "Notifications given up after their last attempt, per channel.",
        "understudy_config_reloads_total":
            "Reloads of the configuration file (understudy reload, SIGHUP), by result: valid or refused.",
        "understudy_config_last_reload_successful":
            "1 when the configuration file last read (at the start or by a reload) was valid, 0 when it was refused.",
        "understudy_config_last_reload_success_timestamp_seconds":
            "When the configuration file was last read valid (Unix time): at the start, or by the last good reload.",
    ]

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let help = Self.help[label] else { return plain.makeCounter(label: label, dimensions: dimensions) }
        return registry.makeCounter(descriptor: Self.descriptor(label, help), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        plain.makeFloatingPointCounter(label: label, dimensions: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        // A gauge (swift-metrics' `Gauge` is a recorder that does not aggregate) of the engine's own, with its help.
        guard !aggregate, let help = Self.help[label] else {
            return plain.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
        }
        return registry.makeGauge(descriptor: Self.descriptor(label, help), labels: dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        plain.makeMeter(label: label, dimensions: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard let help = Self.help[label] else { return plain.makeTimer(label: label, dimensions: dimensions) }
        return registry.makeDurationHistogram(
            descriptor: Self.descriptor(label, help), labels: dimensions, buckets: buckets)
    }

    func destroyCounter(_ handler: any CounterHandler) { plain.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        plain.destroyFloatingPointCounter(handler)
    }
    func destroyRecorder(_ handler: any RecorderHandler) { plain.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { plain.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { plain.destroyTimer(handler) }

    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
