/// What the group's off-site node does when `understudy failover GROUP` is run there (a recovery-site takeover,
/// manual only): its own address, interface and scripts, as the recovery site is another subnet. Keys of
/// `[groups.NAME]`: `offsite_service_address`, `offsite_interface`, `offsite_start`, `offsite_stop`.
public struct RecoverySiteConfiguration: Sendable, Equatable {
    /// None: a recovery-site takeover serves the data and runs the scripts, but takes no address.
    public var serviceAddress: ServiceAddress?
    public var interface: String?
    public var startScripts: [String]
    public var stopScripts: [String]

    public init(
        serviceAddress: ServiceAddress? = nil, interface: String? = nil, startScripts: [String] = [],
        stopScripts: [String] = []
    ) {
        self.serviceAddress = serviceAddress
        self.interface = interface
        self.startScripts = startScripts
        self.stopScripts = stopScripts
    }
}

extension GroupConfiguration {
    /// The nodes that may hold the group: its primary, its standby and its off-site node.
    public var members: [String] { [primary, standby] + (offsite.map { [$0] } ?? []) }

    /// The group as its off-site node serves it after a recovery-site takeover: the recovery site's address,
    /// interface and scripts in place of the main site's; the fence and the announcements as configured.
    public var atRecoverySite: GroupConfiguration {
        var copy = self
        guard let offsite else { return copy }
        copy.takeover.mode = .manual
        copy.takeover.serviceAddress = recoverySite.serviceAddress
        copy.takeover.interfaces = recoverySite.interface.map { [offsite: $0] } ?? [:]
        copy.takeover.startScripts = recoverySite.startScripts
        copy.takeover.stopScripts = recoverySite.stopScripts
        copy.takeover.checks = []
        copy.takeover.failback = .manual
        return copy
    }
}
