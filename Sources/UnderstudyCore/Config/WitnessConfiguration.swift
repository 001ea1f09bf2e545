/// A group's witness (`witness`): a third party that breaks the tie between two nodes that cannot hear each other
/// (SIOS's witness, DRBD's tiebreaker). The standby takes over only if the witness agrees the primary is gone, and a
/// primary that hears neither its peer nor the witness gives the group up.
public enum WitnessConfiguration: Sendable, Equatable {
    /// `witness = "gamma"`: a third understudy node with a link to each of the group's nodes. It exchanges heartbeats
    /// with both and reports, in its heartbeats, how long it has not heard each.
    case node(String)
    /// `[groups.NAME.witness]` with a check's keys (`type = "tcp"`, `target = ...`): something both nodes should
    /// reach. It cannot say whether it hears the primary; the standby takes over only while it reaches it (so it is not
    /// the isolated one), and a primary that reaches neither it nor its peer gives the group up.
    case target(CheckConfiguration)

    /// "node gamma" or "tcp 10.0.0.9:443".
    public var description: String {
        switch self {
        case .node(let name): "node \(name)"
        case .target(let check): "\(check.probe.typeName) \(check.probe.target)"
        }
    }
}
