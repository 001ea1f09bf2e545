import struct Foundation.Date

/// Maintenance of a group (`understudy maintenance GROUP on`): automatic failover is held for planned work, on
/// every node, until it is turned off. A failure meanwhile is reported, not acted on; `understudy failover` still
/// takes over when asked.
public struct MaintenanceHold: Codable, Sendable, Equatable {
    public var group: String
    public var since: Date
    /// Who turned it on (a console user, a token, the control socket).
    public var by: String

    public init(group: String, since: Date, by: String) {
        self.group = group
        self.since = since
        self.by = by
    }
}

extension UserDirectory {
    /// The group's maintenance hold, if it is on.
    public func maintenance(of group: String) -> MaintenanceHold? {
        maintenance?.first { $0.group == group }
    }

    /// Turns `group`'s maintenance on (kept as it was when on already) or off.
    public mutating func setMaintenance(of group: String, on: Bool, by: String, now: Date) {
        var holds = maintenance ?? []
        if on {
            if !holds.contains(where: { $0.group == group }) {
                holds.append(MaintenanceHold(group: group, since: now, by: by))
            }
        } else {
            holds.removeAll { $0.group == group }
        }
        maintenance = holds.sorted { $0.group < $1.group }
    }
}
