import UnderstudyCore

/// What the replication side learns that the group's failover machine must hear (the node's `peerNews` stream).
public enum PeerNews: Sendable, Equatable {
    /// The peer's view of a group, from the replication handshake (heartbeats may be filtered where TCP is not).
    case ownershipHeard(peer: String, group: String, ownership: GroupOwnership)
    /// This node, following again after it stepped down, finished its rejoin of the group: it is in step.
    case rejoined(group: String)
}
