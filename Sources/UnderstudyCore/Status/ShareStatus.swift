import struct Foundation.Date

/// The state of one share as `understudy status` shows it.
public enum ShareState: String, Codable, Sendable {
    /// No sync has completed yet; one is running or waiting for the peer.
    case initialSync = "initial-sync"
    /// The last sync completed and found the replica current.
    case inSync = "in-sync"
    /// A sync is moving changes now (a previous one completed).
    case behind
    /// The peer is not connected.
    case disconnected
    /// The last sync failed; `lastError` says why. It is retried.
    case error
}

/// One share's figures, from this node's side (source on the primary, replica on the standby).
public struct ShareStatus: Codable, Sendable, Equatable {
    public var name: String
    public var path: String
    public var state: ShareState
    public var filesTotal: Int64 = 0
    public var filesDone: Int64 = 0
    public var bytesTotal: Int64 = 0
    public var bytesDone: Int64 = 0
    public var bytesSent: Int64 = 0
    public var bytesReceived: Int64 = 0
    public var rateBytesPerSecond: Double?
    public var etaSeconds: Double?
    public var lastSyncAt: Date?
    public var lastSyncSeconds: Double?
    public var lastPlan: SyncPlanSummary?
    public var lastError: String?
    /// Changes captured on the primary and not yet durable on the replica (on the standby: at least one while
    /// the primary has announced changes it has not yet applied).
    public var changesPending: Int64 = 0
    /// Age of the oldest change not yet durable on the replica; 0 when there is none.
    public var lagSeconds: Double = 0
    /// Bytes moved per second over the last minute (sent on the primary, received on the standby).
    public var throughputBytesPerSecond: Double = 0
    /// Syncs since the daemon started: full comparisons (a stat walk of the whole share on both sides) and live
    /// syncs (only the paths the primary's change journal named).
    public var fullSyncs: Int64 = 0
    public var liveSyncs: Int64 = 0
    /// How changes are captured (primary only): "fanotify" (one mark on the whole file system) or "inotify".
    public var captureBackend: String?
    /// Directories under inotify watch (primary only, with inotify).
    public var watchedDirectories: Int?
    /// Why changes are not all captured (primary only); the share then converges through full comparisons.
    public var captureProblem: String?
    /// Archives and history (standby only, when configured).
    public var archive: ShareArchiveStatus?
    /// On a hop to the off-site node: the bytes of the files waiting in the relay journal (as the index knows them;
    /// directories compared whole count as nothing).
    public var bytesBehind: Int64?

    public init(name: String, path: String, state: ShareState) {
        self.name = name
        self.path = path
        self.state = state
    }

    public var filesPending: Int64 { max(0, filesTotal - filesDone) }
    public var bytesPending: Int64 { max(0, bytesTotal - bytesDone) }
}

public struct GroupStatus: Codable, Sendable, Equatable {
    public var name: String
    /// The role of this node in the group.
    public var role: GroupRole
    public var peer: String
    public var peerConnected: Bool
    public var shares: [ShareStatus]
    /// Files kept in two versions by a rejoin and not yet resolved (`understudy conflicts`).
    public var openConflicts: Int?
    /// The path the mirror runs over (on the follower): "link dedicated (10.0.0.1:7700)"; nil before a connection.
    public var mirrorPath: String?
    /// False while the mirror runs over another path than its preferred one.
    public var mirrorOnPreferredPath: Bool?
    /// On when automatic failover is held for planned work (`understudy maintenance GROUP on`).
    public var maintenance: MaintenanceHold?
    /// On the follower: when the mirror connection to the serving node ended (nil while connected, and before the
    /// first connection since start).
    public var disconnectedAt: Date?
    /// On the node that feeds the group's off-site copy: that hop.
    public var offsiteHop: OffsiteHopStatus?
    /// On the standby: whether it could take over, from its last proof (`understudy verify`).
    public var readiness: Readiness?

    public init(name: String, role: GroupRole, peer: String, peerConnected: Bool, shares: [ShareStatus]) {
        self.name = name
        self.role = role
        self.peer = peer
        self.peerConnected = peerConnected
        self.shares = shares
    }
}

/// The hop from the node that feeds a group's off-site copy to the off-site node: each share's figures as that node
/// sends them (state, last sync, bytes sent, throughput) and as its relay journal holds them (changes waiting, their
/// age, the bytes behind).
public struct OffsiteHopStatus: Codable, Sendable, Equatable {
    public var node: String
    public var connected: Bool
    public var shares: [ShareStatus]

    public init(node: String, connected: Bool, shares: [ShareStatus]) {
        self.node = node
        self.connected = connected
        self.shares = shares
    }
}

public struct NodeStatusReport: Codable, Sendable, Equatable {
    public var cluster: String
    public var node: String
    public var version: String
    public var startedAt: Date
    public var groups: [GroupStatus]
    /// Links, checks and group roles; nil on a node without failover (no links).
    public var failover: FailoverStatus?
    /// What the node warns of as a whole: file systems that cannot hold its replicas (`ReplicaCapacity`); nil when
    /// none.
    public var warnings: [String]?
    /// The durable writes the node asked for and the rounds that made them (group commit); nil from an older node.
    public var durability: DurabilityFigures?

    public init(
        cluster: String, node: String, version: String, startedAt: Date, groups: [GroupStatus],
        failover: FailoverStatus? = nil
    ) {
        self.failover = failover
        self.cluster = cluster
        self.node = node
        self.version = version
        self.startedAt = startedAt
        self.groups = groups
    }
}
