import UnderstudyCore

/// The answers of the health probes, judged on the node's status report: a load balancer sends a group's clients to
/// the node whose `/health/serving/GROUP` answers 200, and a monitor watches `/health/standby/GROUP?max_lag=5s` on
/// the node that follows it. Each answer is healthy (200) or not (503), with one line that says why.
public enum HealthProbe {
    /// `max_lag` when the probe names none.
    public static let defaultMaxLag = ConfigDuration(seconds: 10)

    public struct Verdict: Sendable, Equatable {
        public var healthy: Bool
        public var reason: String

        public init(healthy: Bool, _ reason: String) {
            self.healthy = healthy
            self.reason = reason
        }
    }

    /// Healthy only on the node that serves `group` now: it holds the group's epoch and, where failover runs, its
    /// address (phase active).
    public static func serving(_ group: String, in report: NodeStatusReport) -> Verdict {
        guard let status = report.groups.first(where: { $0.name == group }) else {
            return Verdict(healthy: false, "node \(report.node) has no group '\(group)'")
        }
        if let failover = report.failover?.groups.first(where: { $0.group == group }) {
            guard failover.owner == report.node else {
                return Verdict(healthy: false, "\(failover.owner) serves group \(group) (epoch \(failover.epoch))")
            }
            guard failover.phase == .active else {
                return Verdict(healthy: false, "node \(report.node) holds group \(group) but is \(failover.phase)")
            }
            return Verdict(healthy: true, "node \(report.node) serves group \(group) (epoch \(failover.epoch))")
        }
        guard status.role == .primary else {
            return Verdict(healthy: false, "\(status.peer) serves group \(group)")
        }
        return Verdict(healthy: true, "node \(report.node) serves group \(group)")
    }

    /// Healthy only where `group`'s replica follows the serving node, connected, every share past its first sync and
    /// without error, and no share more than `maxLag` behind.
    public static func standby(_ group: String, maxLag: ConfigDuration, in report: NodeStatusReport) -> Verdict {
        guard let status = report.groups.first(where: { $0.name == group }) else {
            return Verdict(healthy: false, "node \(report.node) has no group '\(group)'")
        }
        guard status.role != .primary else {
            return Verdict(healthy: false, "node \(report.node) serves group \(group); it is not its standby")
        }
        guard status.peerConnected else {
            return Verdict(healthy: false, "the replica of group \(group) is not connected to \(status.peer)")
        }
        if let share = status.shares.first(where: { $0.state != .inSync && $0.state != .behind }) {
            return Verdict(healthy: false, "share \(group)/\(share.name) is \(share.state.rawValue)")
        }
        let worst = status.shares.max { $0.lagSeconds < $1.lagSeconds }
        if let worst, worst.lagSeconds > maxLag.seconds {
            return Verdict(
                healthy: false,
                "share \(group)/\(worst.name) is \(Self.seconds(worst.lagSeconds)) behind, more than max_lag \(maxLag)")
        }
        return Verdict(
            healthy: true,
            "the replica of group \(group) is \(Self.seconds(worst?.lagSeconds ?? 0)) behind (max_lag \(maxLag))")
    }

    /// The probe's `max_lag` ("5s", "500ms", or seconds); the default when absent.
    public static func maxLag(_ text: String?) -> Result<ConfigDuration, ConfigDurationError> {
        guard let text else { return .success(defaultMaxLag) }
        do throws(ConfigDurationError) {
            return .success(try ConfigDuration.parse(text))
        } catch {
            return .failure(error)
        }
    }

    private static func seconds(_ value: Double) -> String {
        let milliseconds = (value * 1000).rounded()
        return milliseconds < 1000 ? "\(Int(milliseconds))ms" : "\(Double(Int(milliseconds / 10)) / 100)s"
    }
}
