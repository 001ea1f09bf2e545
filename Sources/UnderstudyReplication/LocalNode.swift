import Foundation
import UnderstudyCore

/// Who this node is: its name, the cluster's configuration and the node's own table in it, when it started, and
/// whether it applies files' owners (it runs as root). A value every part may copy.
public struct LocalNode: Sendable {
    public let name: String
    /// As the node runs it: a reload that adds or removes groups changes it.
    public var configuration: ClusterConfiguration
    /// The node's own table of the configuration (addresses, links, state folder, control socket).
    public let settings: NodeConfiguration
    public let startedAt: Date
    /// Files keep their owner and group on this node (it runs as root).
    public let appliesOwnership: Bool

    public init(
        name: String, configuration: ClusterConfiguration, settings: NodeConfiguration, startedAt: Date,
        appliesOwnership: Bool
    ) {
        self.name = name
        self.configuration = configuration
        self.settings = settings
        self.startedAt = startedAt
        self.appliesOwnership = appliesOwnership
    }
}
