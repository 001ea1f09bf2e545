import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyReplication

/// What the control commands need of the node they run on: the parts most modules read (`NodeParts`), and the node
/// as a party to the peer handshake (to forward a switchover to the node that serves the group). The daemon's
/// runtime provides it.
package protocol ControlNode: NodeParts, HandshakeParty {
    /// Where the node's replicas ask for `syncfs`: its figures show in the status.
    var fileSystemSync: FileSystemSync { get }
}

/// What the `reload` command needs of the daemon: re-read its configuration file and apply what it takes in place
/// (`ConfigurationReloader`).
package protocol ConfigurationReloading: Sendable {
    /// The report of what was applied and what waits for a restart, or the refusal of a file with problems (the
    /// running configuration stays). `origin` names who asked, for the log.
    func reload(askedBy origin: String) -> Result<ReloadReport, NodeError>
    /// What to tell while the file last read was refused (the daemon runs an older one); nil once a reload was valid.
    var refusal: String? { get }
}
