/// The whole cluster as one configuration file describes it. Every node reads the same file and
/// picks its own part by name (see `groups(whereNode:)`).
public struct ClusterConfiguration: Sendable, Equatable {
    /// The cluster's name: letters, digits, '-' and '_'.
    public var cluster: String
    /// Absolute (when the configuration path is) directory of the cluster CA and node certificates.
    public var certificatesDirectory: String
    public var nodes: [String: NodeConfiguration]
    public var groups: [String: GroupConfiguration]
    /// `[heartbeat]`.
    public var heartbeat: HeartbeatConfiguration
    /// `[notify]`.
    public var notify: NotificationConfiguration
    /// `[console]`.
    public var console: ConsoleConfiguration
    /// The configuration file's path, for messages.
    public var sourcePath: String

    public init(
        cluster: String,
        certificatesDirectory: String,
        nodes: [String: NodeConfiguration],
        groups: [String: GroupConfiguration],
        heartbeat: HeartbeatConfiguration = HeartbeatConfiguration(),
        notify: NotificationConfiguration = NotificationConfiguration(),
        console: ConsoleConfiguration = ConsoleConfiguration(),
        sourcePath: String
    ) {
        self.console = console
        self.heartbeat = heartbeat
        self.notify = notify
        self.cluster = cluster
        self.certificatesDirectory = certificatesDirectory
        self.nodes = nodes
        self.groups = groups
        self.sourcePath = sourcePath
    }

    /// The groups in which `name` is the primary or the standby, sorted by group name.
    public func groups(whereNode name: String) -> [GroupConfiguration] {
        groups.values
            .filter { $0.primary == name || $0.standby == name }
            .sorted { $0.name < $1.name }
    }

    /// The groups `name` is a member of (primary, standby or off-site node), sorted by name.
    public func groups(withMember name: String) -> [GroupConfiguration] {
        groups.values.filter { $0.members.contains(name) }.sorted { $0.name < $1.name }
    }

    /// The groups `name` is the off-site node of, sorted by name.
    public func groups(offsiteOf name: String) -> [GroupConfiguration] {
        groups.values.filter { $0.offsite == name }.sorted { $0.name < $1.name }
    }

    /// The off-site nodes `name` may feed: those of the groups it is the standby of (the cascade's middle hop), or
    /// the primary of (while their standby is out of the off-site node's reach).
    public func offsiteNodes(fedBy name: String) -> Set<String> {
        Set(groups.values.filter { $0.standby == name || $0.primary == name }.compactMap(\.offsite))
    }

    /// The nodes `name` shares a group with, sorted: the peers it replicates with.
    public func peers(of name: String) -> [String] {
        Set(groups(whereNode: name).map { $0.peer(of: name) }).sorted()
    }

    /// The groups `name` is the witness of (see `WitnessConfiguration.node`), sorted by group name.
    public func groups(witnessedBy name: String) -> [GroupConfiguration] {
        groups.values.filter { $0.takeover.witness == .node(name) }.sorted { $0.name < $1.name }
    }

    /// The nodes `name` exchanges heartbeats with: its groups' peers, its groups' witness nodes, and the nodes of the
    /// groups it is the witness of.
    public func heartbeatPeers(of name: String) -> [String] {
        var peers = Set(peers(of: name))
        for group in groups(whereNode: name) {
            if case .node(let witness)? = group.takeover.witness { peers.insert(witness) }
        }
        for group in groups(witnessedBy: name) {
            peers.insert(group.primary)
            peers.insert(group.standby)
        }
        peers.remove(name)
        return peers.sorted()
    }
}
