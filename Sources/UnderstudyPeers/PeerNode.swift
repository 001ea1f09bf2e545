import Logging
import UnderstudyCore
import UnderstudyRejoin
import UnderstudyReplication
import UnderstudyState
import UnderstudySupport

/// What the peer sessions of a group need of the node on either side: who it is and who holds each group (also as a
/// party to the peer handshake), the shares' trees and live status (saved so a restart still shows the last sync),
/// the state database, the event log and the clock. The daemon's runtime provides it.
package protocol PeerNode: HandshakeParty, EventRecorder {
    var identity: LocalNode { get }
    var database: StateDatabase { get }
    var status: StatusRegistry { get }
    var shares: ShareTable { get }
    var clock: any EngineClock { get }
    var logger: Logger { get }
    func owns(group: String) -> Bool
    /// Persists one share's figures.
    func saveStatus(group: String, share: String)
}

extension PeerNode {
    /// Seconds on the clock's monotonic reading.
    func now() -> Double { clock.monotonicSeconds() }
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
