import UnderstudyCore
import UnderstudyReplication

/// What the proof part needs of the node it runs on: the parts most modules read (`NodeParts`: who it is, which
/// groups it holds, the shares' trees, gates and live status, the state database for its records, the event log and
/// the clock), and nothing more. The daemon's runtime provides it.
package protocol ProofNode: NodeParts {}

extension ProofNode {
    var name: String { identity.name }
    var configuration: ClusterConfiguration { identity.configuration }
}
