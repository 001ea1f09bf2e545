import Logging
import UnderstudyCore
import UnderstudyReplication
import UnderstudyState
import UnderstudySupport

/// What the control commands need of the node they run on: who it is and who holds each group (also as a party to
/// the peer handshake, to forward a switchover), the shares' trees and live status, the state database (conflicts),
/// the event log and the clock. The daemon's runtime provides it.
package protocol ControlNode: HandshakeParty, EventRecorder {
    var identity: LocalNode { get }
    var database: StateDatabase { get }
    var status: StatusRegistry { get }
    var shares: ShareTable { get }
    var clock: any EngineClock { get }
    var logger: Logger { get }
    func owns(group: String) -> Bool
}

extension ControlNode {
    /// Seconds on the clock's monotonic reading.
    func now() -> Double { clock.monotonicSeconds() }
}
