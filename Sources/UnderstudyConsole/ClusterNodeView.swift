import UnderstudyCore

/// A node of the cluster as the API shows it: its name, where it listens for its peers and its console, and its
/// address on each link. Nothing secret: the configuration's paths and scripts are left out.
struct ClusterNodeView: Encodable, Sendable {
    let name: String
    let address: String
    let console: String?
    let links: [String: String]

    static func all(_ configuration: ClusterConfiguration) -> [ClusterNodeView] {
        configuration.nodes.values.sorted { $0.name < $1.name }.map { node in
            ClusterNodeView(
                name: node.name, address: node.address.description,
                console: configuration.consoleAddress(of: node.name)?.description,
                links: Dictionary(node.links.map { ($0.name, $0.address) }, uniquingKeysWith: { first, _ in first }))
        }
    }
}
