/// The local control API: one JSON object per line over the node's control socket. The CLI speaks it now;
/// the web console will speak it too.
public struct ControlRequest: Codable, Sendable, Equatable {
    public enum Command: String, Codable, Sendable {
        case status
        /// Re-sync now and answer when done (all of this node's standby groups, or `group`).
        case sync
        /// Take over `group` now (`understudy failover`); `force` even while the primary is heard.
        case failover
    }
    public var command: Command
    public var group: String?
    public var force: Bool?

    public init(command: Command, group: String? = nil, force: Bool? = nil) {
        self.command = command
        self.group = group
        self.force = force
    }
}

public struct SyncResult: Codable, Sendable, Equatable {
    public var group: String
    public var share: String
    public var ok: Bool
    public var seconds: Double
    public var plan: SyncPlanSummary?
    public var bytesReceived: Int64
    public var error: String?

    public init(group: String, share: String, ok: Bool, seconds: Double, plan: SyncPlanSummary?, bytesReceived: Int64, error: String?) {
        self.group = group
        self.share = share
        self.ok = ok
        self.seconds = seconds
        self.plan = plan
        self.bytesReceived = bytesReceived
        self.error = error
    }
}

public struct ControlResponse: Codable, Sendable, Equatable {
    public var ok: Bool
    public var error: String?
    public var status: NodeStatusReport?
    public var syncResults: [SyncResult]?
    /// What a command did, for people (`failover`).
    public var message: String?

    public init(ok: Bool, error: String? = nil, status: NodeStatusReport? = nil, syncResults: [SyncResult]? = nil, message: String? = nil) {
        self.message = message
        self.ok = ok
        self.error = error
        self.status = status
        self.syncResults = syncResults
    }
}
