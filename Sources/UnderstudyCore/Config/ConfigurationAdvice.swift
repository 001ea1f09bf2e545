/// Settings that are valid but risky, said by `understudy check-config` (and logged at start): the
/// administrator decides, but should know.
public enum ConfigurationAdvice {
    public static func warnings(_ configuration: ClusterConfiguration) -> [String] {
        var warnings: [String] = []
        let heartbeat = configuration.heartbeat
        for group in configuration.groups.values.sorted(by: { $0.name < $1.name }) {
            guard let primary = configuration.nodes[group.primary], let standby = configuration.nodes[group.standby],
                !primary.commonLinks(with: standby).isEmpty
            else { continue }
            // A group in manual mode only alerts: nothing is taken over by silence alone.
            if group.takeover.checks.isEmpty && group.takeover.mode == .auto {
                warnings.append(
                    "group '\(group.name)' has no checks: \(group.standby) takes it over when every link is silent for \(heartbeat.deadTime), even if the service still answers (a primary whose daemon is stopped that long, say). Add a [[groups.\(group.name).checks]] that exercises the service"
                )
            }
            if primary.commonLinks(with: standby).count == 1 {
                warnings.append(
                    "nodes '\(group.primary)' and '\(group.standby)' of group '\(group.name)' share one link only: if it fails, only the checks stand between a cut cable and two primaries. Give them a second, independent link"
                )
            }
        }
        for node in configuration.nodes.values.sorted(by: { $0.name < $1.name }) {
            guard let check = node.isolationCheck else { continue }
            // The silence and the check's failures start together (both come from the isolation): the primary gives
            // up once both hold, the check needing `fall` results up to max(interval, timeout) apart. The standby
            // takes over after the whole dead time; keep a heartbeat interval between the two.
            let detection = Double(check.fall) * max(check.interval.seconds, check.timeout.seconds)
            let noticed = max(heartbeat.isolationTime.seconds, detection)
            if noticed > heartbeat.deadTime.seconds - heartbeat.interval.seconds {
                warnings.append(
                    "the isolation check of node '\(node.name)' needs up to \(ConfigDuration(seconds: detection)) (\(check.fall) × max(interval, timeout)) to fail, so an isolated primary gives up its address only \(ConfigDuration(seconds: noticed)) after the silence began, too close to dead_time (\(heartbeat.deadTime)): the standby may take the address first. Shorten the check's interval or timeout"
                )
            }
        }
        return warnings
    }
}
