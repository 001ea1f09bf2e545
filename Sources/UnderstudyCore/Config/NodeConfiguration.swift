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

    public init(name: String, address: PeerAddress, stateDirectory: String = Self.defaultStateDirectory, controlSocket: String? = nil) {
        self.name = name
        self.address = address
        self.stateDirectory = stateDirectory
        self.controlSocket = controlSocket ?? Self.defaultControlSocket(stateDirectory: stateDirectory)
    }

    public static func defaultControlSocket(stateDirectory: String) -> String {
        (stateDirectory.hasSuffix("/") ? stateDirectory : stateDirectory + "/") + "control.sock"
    }
}
