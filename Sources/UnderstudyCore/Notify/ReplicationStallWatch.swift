/// Decides when a group's replication has been stalled long enough to tell someone, and when it is back:
/// `unhealthy` (standby cut off from its primary, or changes waiting longer than allowed) must last
/// `threshold` seconds before `stalled` is said once; the first healthy observation after that says `resumed`.
public struct ReplicationStallWatch: Sendable, Equatable {
    public enum Transition: Sendable, Equatable {
        case stalled(seconds: Double)
        case resumed(afterSeconds: Double)
    }

    public let threshold: Double
    private var unhealthySince: [String: Double] = [:]
    private var reported: Set<String> = []

    public init(threshold: Double) {
        self.threshold = threshold
    }

    public mutating func observe(group: String, healthy: Bool, at now: Double) -> Transition? {
        if healthy {
            let since = unhealthySince.removeValue(forKey: group)
            if reported.remove(group) != nil { return .resumed(afterSeconds: now - (since ?? now)) }
            return nil
        }
        let since = unhealthySince[group] ?? now
        unhealthySince[group] = since
        if now - since >= threshold, !reported.contains(group) {
            reported.insert(group)
            return .stalled(seconds: now - since)
        }
        return nil
    }
}
