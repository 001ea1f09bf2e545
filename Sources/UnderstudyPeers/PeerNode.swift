import Logging
import UnderstudyCore
import UnderstudyRejoin
import UnderstudyReplication
import UnderstudyState
import UnderstudySupport

/// What the peer sessions of a group need of the node on either side: the parts most modules read (`NodeParts`), the
/// node as a party to the peer handshake, and a way to save a share's figures (so a restart still shows the last
/// sync). The daemon's runtime provides it.
package protocol PeerNode: NodeParts, HandshakeParty {
    /// Persists one share's figures.
    func saveStatus(group: String, share: String)
}

/// The serving side: it also hands on each conflict copy its tree takes in during a peer's rejoin.
package protocol ServingNode: PeerNode {
    func conflictFound(_ conflict: ConflictFound)
}

/// The following side: it also rejoins (`RejoinNode`), notifies what goes wrong with a path, and reports a finished
/// rejoin.
package protocol FollowingNode: PeerNode, RejoinNode {
    func notify(_ event: NotificationEvent)
    func rejoined(group: String)
}
