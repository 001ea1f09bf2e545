import UnderstudyCore
import UnderstudyReplication

/// What the archive part needs of the node it runs on: the parts most modules read (`NodeParts`: who it is, which
/// groups it holds, the shares' trees and live status, the state database for its catalog and history, the event
/// log and the clock), and nothing more. The daemon's runtime provides it.
package protocol ArchiveNode: NodeParts {}

extension ArchiveNode {
    var name: String { identity.name }
    var configuration: ClusterConfiguration { identity.configuration }
}
