/// One machine running `understudy run`.
public struct NodeConfiguration: Sendable, Equatable {
    public static let defaultStateDirectory = "/var/lib/understudy"

    public var name: String
    /// Where the node listens for its peers.
    public var address: PeerAddress
    /// Durable state (index, journal, epochs); key `state_dir`, default "/var/lib/understudy".
    public var stateDirectory: String
    /// The local control API's Unix socket; key `control_socket`, default "<stateDirectory>/control.sock".
    public var controlSocket: String
    /// `[nodes.NAME.links]`: link name = this node's address on it. Heartbeats and failover need at least one
    /// link both nodes of a group have; without, a group is a mirror only.
    public var links: [NodeLink]
    /// `[nodes.NAME.isolation_check]`: "can I still reach the world", e.g. a ping of the gateway. A primary that
    /// hears no peer on any link and fails this gives up its address by itself.
    public var isolationCheck: CheckConfiguration?
    /// `console = "ADDR:PORT"`: where this node's console listens, instead of `[console] listen`.
    public var console: PeerAddress?
    /// `change_capture`: how the node learns of changes in the shares it serves; default `auto`.
    public var changeCapture: ChangeCaptureMethod

    public init(
        name: String, address: PeerAddress, stateDirectory: String = Self.defaultStateDirectory,
        controlSocket: String? = nil,
        links: [NodeLink] = [], isolationCheck: CheckConfiguration? = nil, console: PeerAddress? = nil,
        changeCapture: ChangeCaptureMethod = .auto
    ) {
        self.console = console
        self.changeCapture = changeCapture
        self.name = name
        self.address = address
        self.stateDirectory = stateDirectory
        self.controlSocket = controlSocket ?? Self.defaultControlSocket(stateDirectory: stateDirectory)
        self.links = links
        self.isolationCheck = isolationCheck
    }

    /// The links this node shares with `peer`, by name, as (mine, theirs).
    public func commonLinks(with peer: NodeConfiguration) -> [(local: NodeLink, remote: NodeLink)] {
        links.compactMap { mine in
            peer.links.first(where: { $0.name == mine.name }).map { (mine, $0) }
        }
    }

    public static func defaultControlSocket(stateDirectory: String) -> String {
        (stateDirectory.hasSuffix("/") ? stateDirectory : stateDirectory + "/") + "control.sock"
    }
}
