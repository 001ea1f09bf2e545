/// The role of this node in a group, as `status` shows it: it follows who holds the group by epoch, not the
/// configuration.
public enum GroupRole: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// This node holds the group: it serves the address and the live data.
    case primary
    /// The other node holds the group and this node follows it.
    case standby
    /// This node is the configured primary, and the other node took the group over: it follows until failback.
    case steppedDown = "stepped-down"
    /// This node keeps the group's off-site copy, fed by the standby (or by whichever node serves the group).
    case offsite

    public var description: String { rawValue }
}
