import Logging
import UnderstudyCore
import UnderstudyReplication
import UnderstudyRejoin
import UnderstudyState
import UnderstudySupport

/// What the failover part needs of the node it runs on: the parts most modules read (`NodeParts`; the shares are
/// drained before a hand-over, the state database keeps the ownership records), who holds each group (read, and set
/// when a takeover or hand-over is stored), and what the replication side learns (`peerNews`). The daemon's runtime
/// provides it.
package protocol FailoverNode: NodeParts, RejoinNode {
    var peerNews: Broadcast<PeerNews> { get }
    func ownership(group: String) -> GroupOwnership?
    func setOwnership(_ ownership: GroupOwnership, group: String)
}

extension FailoverNode {
    var name: String { identity.name }
    var configuration: ClusterConfiguration { identity.configuration }
}
