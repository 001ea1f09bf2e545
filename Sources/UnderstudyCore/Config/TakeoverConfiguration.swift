/// What a group's nodes do about a failed primary: how it is decided, and what taking over means
/// (keys of `[groups.NAME]`).
public struct TakeoverConfiguration: Sendable, Equatable {
    public enum Mode: String, Sendable, Codable, CustomStringConvertible {
        /// The standby takes over by itself once the primary is found failed.
        case auto
        /// The same detection, but only alerts; `understudy failover GROUP` takes over.
        case manual

        public var description: String { rawValue }
    }

    /// What happens once the configured primary, back after a takeover, has rejoined and is in step again.
    public enum Failback: String, Sendable {
        /// Nothing: the administrator runs `understudy failback GROUP`.
        case manual
        /// The node serving the group hands it back by itself once the configured primary has been a standby in
        /// step with it for `failback_after` without a break.
        case auto
    }

    public static let defaultScriptTimeout = ConfigDuration(seconds: 30)
    public static let defaultFenceTimeout = ConfigDuration(seconds: 30)
    public static let defaultAnnounceCount = 5
    public static let defaultAnnounceInterval = ConfigDuration(seconds: 0.2)
    public static let defaultFailbackAfter = ConfigDuration(seconds: 300)

    /// `failover`, default "auto".
    public var mode: Mode
    /// `service_address` ("10.0.0.100/24"); none: a takeover moves data and services but no address.
    public var serviceAddress: ServiceAddress?
    /// The interface that gets the address on each node (`interface`, a name or a table of node = name).
    public var interfaces: [String: String]
    /// Command lines run in order by /bin/sh -c once the address is held (`start`), and on step-down (`stop`).
    public var startScripts: [String]
    public var stopScripts: [String]
    /// Each script's limit (`script_timeout`, default 30s).
    public var scriptTimeout: ConfigDuration
    /// Run before a takeover; it must exit 0 or nothing is taken over (`fence`, `fence_timeout`).
    public var fence: String?
    public var fenceTimeout: ConfigDuration
    /// Gratuitous ARP / unsolicited neighbour advertisements after taking the address (`announce_count`,
    /// default 5, `announce_interval`, default 200ms), and again every `announce_refresh` while held (off
    /// by default).
    public var announceCount: Int
    public var announceInterval: ConfigDuration
    public var announceRefresh: ConfigDuration?
    public var checks: [CheckConfiguration]
    /// `failback`, default "manual"; `failback_after`, default 5m.
    public var failback: Failback
    public var failbackAfter: ConfigDuration
    /// `witness`: none by default.
    public var witness: WitnessConfiguration?

    public init(
        mode: Mode = .auto, serviceAddress: ServiceAddress? = nil, interfaces: [String: String] = [:],
        startScripts: [String] = [], stopScripts: [String] = [],
        scriptTimeout: ConfigDuration = Self.defaultScriptTimeout,
        fence: String? = nil, fenceTimeout: ConfigDuration = Self.defaultFenceTimeout,
        announceCount: Int = Self.defaultAnnounceCount, announceInterval: ConfigDuration = Self.defaultAnnounceInterval,
        announceRefresh: ConfigDuration? = nil, checks: [CheckConfiguration] = [],
        failback: Failback = .manual, failbackAfter: ConfigDuration = Self.defaultFailbackAfter,
        witness: WitnessConfiguration? = nil
    ) {
        self.witness = witness
        self.mode = mode
        self.serviceAddress = serviceAddress
        self.interfaces = interfaces
        self.startScripts = startScripts
        self.stopScripts = stopScripts
        self.scriptTimeout = scriptTimeout
        self.fence = fence
        self.fenceTimeout = fenceTimeout
        self.announceCount = announceCount
        self.announceInterval = announceInterval
        self.announceRefresh = announceRefresh
        self.checks = checks
        self.failback = failback
        self.failbackAfter = failbackAfter
    }
}
