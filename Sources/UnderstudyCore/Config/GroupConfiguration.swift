/// One protected service: a primary node whose shares a standby node mirrors.
public struct GroupConfiguration: Sendable, Equatable {
    public static let defaultResyncInterval = ConfigDuration(seconds: 600)
    public static let minimumResyncInterval = ConfigDuration(seconds: 1)
    /// The longest `resync_interval` and `verify_interval`: a year. Longer ones mean "never" in practice, and would
    /// overflow the nanosecond timers that wait for them.
    public static let maximumInterval = ConfigDuration(seconds: 365 * 86400)

    public var name: String
    /// The node whose shares are the source.
    public var primary: String
    /// The node that keeps the replicas.
    public var standby: String
    /// The node that keeps an off-site copy (`offsite`), fed by the standby (a cascade: the primary is read once),
    /// or by whichever node serves the group; nil: none.
    public var offsite: String?
    /// How often the standby compares whole trees (a stat walk on both sides) besides following changes live;
    /// key `resync_interval`, default 10m, at least 1s. While the primary cannot capture every change (watch
    /// limit), the standby compares at least every minute.
    public var resyncInterval: ConfigDuration
    /// A burst of changes goes out once none has come for this long (`quiet_delay`, default 10ms)...
    public var quietDelay: ConfigDuration
    /// ...or this long after its first change, whichever is sooner (`max_delay`, default 20ms: under a steady stream
    /// the lag is about this plus one live sync; batches that come while a sync runs go together in the next one).
    public var maxDelay: ConfigDuration
    /// Follow changes as they happen (`live`, default true); false: the standby only compares whole trees every
    /// `resync_interval` and when asked, like a scheduled rsync.
    public var live: Bool
    /// How often the standby verifies the replica by content (`verify_interval`, default 1d): both sides read
    /// every file and compare digests; a difference is repaired and reported as an event.
    public var verifyInterval: ConfigDuration
    /// What the primary may send to the standby per second (`bandwidth`, `bandwidth_schedule`); default unlimited.
    public var bandwidth: BandwidthLimit
    /// What the node that feeds the off-site copy may send to it per second (`offsite_bandwidth`,
    /// `offsite_bandwidth_schedule`, local time of that node); default unlimited.
    public var offsiteBandwidth: BandwidthLimit
    /// The zstd level of what goes to the off-site node (`offsite_compression`, 1 to 19, default 3): a slow link
    /// pays for more CPU; the hop from the holder, on a LAN, stays at 1.
    public var offsiteCompression: Int
    public static let defaultOffsiteCompression = 3
    /// A full comparison of a tree larger than this goes in slices of this many entries (`compare_slice`, 1,000 to
    /// 10,000,000, default 100,000): the most either node holds of it at once.
    public var compareSlice: Int
    public static let compareSliceRange = 1_000...10_000_000
    public var shares: [ShareConfiguration]
    /// Failure detection and takeover (`failover`, `service_address`, `interface`, `start`, `stop`, `fence`,
    /// `checks`, ...).
    public var takeover: TakeoverConfiguration
    /// Scheduled archives of the shares, taken on the standby (`[[groups.NAME.archives]]`).
    public var archives: [ArchiveConfiguration]
    /// What the off-site node takes over with at the recovery site (`offsite_service_address`, ...).
    public var recoverySite: RecoverySiteConfiguration
    /// The primary runs no understudy (`agentless = true`): each share's `source` is a mount of the primary's
    /// directory on the standby (NFS, SMB, sshfs), which the standby scans every `scan_interval` (kept in
    /// `resyncInterval`) into the replica. `primary` then names a host, not a node of `[nodes]`.
    public var agentless: Bool
    /// How the standby proves it could take over (`verify_every`, `proof_timeout`, `proof_private`).
    public var proof: ProofConfiguration
    /// The recipe the group's start, stop, checks and proof_private come from where it does not set them itself.
    public var recipe: String?

    /// How often the standby scans an agentless primary's mounts by default (`scan_interval`): the lag of its
    /// replica.
    public static let defaultScanInterval = ConfigDuration(seconds: 30)
    public static let defaultQuietDelay = ConfigDuration(seconds: 0.01)
    public static let defaultMaxDelay = ConfigDuration(seconds: 0.02)
    public static let defaultVerifyInterval = ConfigDuration(seconds: 86400)

    public init(
        name: String, primary: String, standby: String, offsite: String? = nil,
        resyncInterval: ConfigDuration = Self.defaultResyncInterval,
        quietDelay: ConfigDuration = Self.defaultQuietDelay, maxDelay: ConfigDuration = Self.defaultMaxDelay,
        live: Bool = true, verifyInterval: ConfigDuration = Self.defaultVerifyInterval,
        bandwidth: BandwidthLimit = .unlimited, offsiteBandwidth: BandwidthLimit = .unlimited,
        offsiteCompression: Int = Self.defaultOffsiteCompression, compareSlice: Int = PathSlice.defaultLimit,
        shares: [ShareConfiguration],
        takeover: TakeoverConfiguration = TakeoverConfiguration(),
        archives: [ArchiveConfiguration] = [], recoverySite: RecoverySiteConfiguration = RecoverySiteConfiguration(),
        agentless: Bool = false, proof: ProofConfiguration = ProofConfiguration(), recipe: String? = nil
    ) {
        self.proof = proof
        self.recipe = recipe
        self.agentless = agentless
        self.recoverySite = recoverySite
        self.name = name
        self.primary = primary
        self.standby = standby
        self.offsite = offsite
        self.resyncInterval = resyncInterval
        self.quietDelay = quietDelay
        self.maxDelay = maxDelay
        self.live = live
        self.verifyInterval = verifyInterval
        self.bandwidth = bandwidth
        self.offsiteBandwidth = offsiteBandwidth
        self.offsiteCompression = offsiteCompression
        self.compareSlice = compareSlice
        self.shares = shares
        self.takeover = takeover
        self.archives = archives
    }

    /// The node that feeds the off-site copy: the standby, whether it follows the group or holds it after a
    /// takeover (the primary is read once).
    public var offsiteFeeder: String { standby }

    /// The other node of the group, seen from `node`.
    public func peer(of node: String) -> String {
        node == primary ? standby : primary
    }
}
