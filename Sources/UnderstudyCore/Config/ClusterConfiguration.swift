/// The whole cluster as one configuration file describes it. Every node reads the same file and
/// picks its own part by name (see `groups(whereNode:)`).
public struct ClusterConfiguration: Sendable, Equatable {
    /// The cluster's name: letters, digits, '-' and '_'.
    public var cluster: String
    /// Absolute (when the configuration path is) directory of the cluster CA and node certificates.
    public var certificatesDirectory: String
    public var nodes: [String: NodeConfiguration]
    public var groups: [String: GroupConfiguration]
    /// The configuration file's path, for messages.
    public var sourcePath: String

    public init(
        cluster: String,
        certificatesDirectory: String,
        nodes: [String: NodeConfiguration],
        groups: [String: GroupConfiguration],
        sourcePath: String
    ) {
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
}
