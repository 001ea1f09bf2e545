/// One network path as a node sees it: the link's name (the same on both nodes, e.g. "dedicated") and this
/// node's IP address on it. Heartbeats go from each address to the peer's address on the same link.
public struct NodeLink: Sendable, Hashable {
    public var name: String
    /// An IPv4 or IPv6 address literal.
    public var address: String
    /// Whether the mirror may run over this link when the preferred path fails (`mirror = false`: heartbeats only).
    public var mirror: Bool

    public init(name: String, address: String, mirror: Bool = true) {
        self.name = name
        self.address = address
        self.mirror = mirror
    }
}
