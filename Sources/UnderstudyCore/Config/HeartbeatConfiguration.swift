/// `[heartbeat]`: how often every node tells its peers it is alive, on every link, and how long a link may
/// stay silent before it counts as down. The same for the whole cluster, since both ends must agree.
public struct HeartbeatConfiguration: Sendable, Equatable {
    /// Five heartbeats per dead time: one lost datagram, or a scheduler hiccup of a few hundred milliseconds
    /// on a busy machine, never makes a link look down; a dead peer is noticed in a second.
    public static let defaultInterval = ConfigDuration(seconds: 0.2)
    public static let defaultDeadTime = ConfigDuration(seconds: 1)
    public static let defaultPort = 7701

    /// `interval`, default 200ms.
    public var interval: ConfigDuration
    /// `dead_time`, default 1s; at least three intervals.
    public var deadTime: ConfigDuration
    /// How long a primary that hears nobody, and whose isolation check fails, keeps its address
    /// (`isolation_time`, default half the dead time): shorter than the standby's takeover, which needs the
    /// whole dead time, so the two never hold the address at once.
    public var isolationTime: ConfigDuration
    /// UDP port heartbeats are sent to and received on, on every link address (`port`, default 7701).
    public var port: Int

    public init(
        interval: ConfigDuration = Self.defaultInterval, deadTime: ConfigDuration = Self.defaultDeadTime,
        isolationTime: ConfigDuration? = nil, port: Int = Self.defaultPort
    ) {
        self.interval = interval
        self.deadTime = deadTime
        self.isolationTime = isolationTime ?? ConfigDuration(seconds: deadTime.seconds / 2)
        self.port = port
    }
}
