/// What `understudy status` shows of failover: each link's liveness, each check's verdict, each group's
/// role, epoch and mode. Ages are seconds before the report was made.
public struct LinkStatus: Codable, Sendable, Equatable {
    public var peer: String
    public var link: String
    /// "up", "down" or "unknown" (nothing heard yet since start).
    public var state: String
    public var lastHeardAgo: Double?
    public var sent: Int
    public var received: Int
    public var refused: Int
    /// The last refusal, send error or listen error, if any.
    public var problem: String?

    public init(
        peer: String, link: String, state: String, lastHeardAgo: Double?, sent: Int, received: Int, refused: Int,
        problem: String?
    ) {
        self.peer = peer
        self.link = link
        self.state = state
        self.lastHeardAgo = lastHeardAgo
        self.sent = sent
        self.received = received
        self.refused = refused
        self.problem = problem
    }
}

public struct CheckStatus: Codable, Sendable, Equatable {
    /// nil for the node's isolation check.
    public var group: String?
    public var name: String
    public var type: String
    public var target: String
    /// "passing", "failing" or "unknown".
    public var state: String
    public var lastMessage: String
    public var lastResultAgo: Double?

    public init(
        group: String?, name: String, type: String, target: String, state: String, lastMessage: String,
        lastResultAgo: Double?
    ) {
        self.group = group
        self.name = name
        self.type = type
        self.target = target
        self.state = state
        self.lastMessage = lastMessage
        self.lastResultAgo = lastResultAgo
    }
}

public struct GroupFailoverStatus: Codable, Sendable, Equatable {
    public var group: String
    public var mode: TakeoverConfiguration.Mode
    public var phase: FailoverPhase
    public var phaseAgo: Double
    public var epoch: UInt64
    public var owner: String
    /// The peer's phase as its last heartbeat told it.
    public var peerPhase: String?
    public var serviceAddress: String?

    public init(
        group: String, mode: TakeoverConfiguration.Mode, phase: FailoverPhase, phaseAgo: Double, epoch: UInt64,
        owner: String, peerPhase: String?,
        serviceAddress: String?
    ) {
        self.group = group
        self.mode = mode
        self.phase = phase
        self.phaseAgo = phaseAgo
        self.epoch = epoch
        self.owner = owner
        self.peerPhase = peerPhase
        self.serviceAddress = serviceAddress
    }
}

public struct FailoverStatus: Codable, Sendable, Equatable {
    public var links: [LinkStatus]
    public var checks: [CheckStatus]
    public var groups: [GroupFailoverStatus]

    public init(links: [LinkStatus], checks: [CheckStatus], groups: [GroupFailoverStatus]) {
        self.links = links
        self.checks = checks
        self.groups = groups
    }
}
