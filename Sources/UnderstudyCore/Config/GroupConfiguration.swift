/// One protected service: a primary node whose shares a standby node mirrors.
public struct GroupConfiguration: Sendable, Equatable {
    public static let defaultResyncInterval = ConfigDuration(seconds: 60)
    public static let minimumResyncInterval = ConfigDuration(seconds: 1)

    public var name: String
    /// The node whose shares are the source.
    public var primary: String
    /// The node that keeps the replicas.
    public var standby: String
    /// How often the standby re-syncs (compares whole trees) besides following changes; key
    /// `resync_interval`, default 60s, at least 1s.
    public var resyncInterval: ConfigDuration
    public var shares: [ShareConfiguration]

    public init(name: String, primary: String, standby: String, resyncInterval: ConfigDuration = Self.defaultResyncInterval, shares: [ShareConfiguration]) {
        self.name = name
        self.primary = primary
        self.standby = standby
        self.resyncInterval = resyncInterval
        self.shares = shares
    }
}
