import Logging
import UnderstudyCore
import UnderstudyState
import UnderstudySupport

/// The parts of a node that most of its modules read: who it is, which groups it holds, the shares' trees and live
/// status, the state database, the event log and the clock. A module's own protocol of the node (`ArchiveNode`,
/// `ControlNode`, `FailoverNode`, Peers' `PeerNode`) refines this with what only it needs; the daemon's runtime
/// provides them all.
package protocol NodeParts: EventRecorder {
    var identity: LocalNode { get }
    var database: StateDatabase { get }
    var status: StatusRegistry { get }
    var shares: ShareTable { get }
    var clock: any EngineClock { get }
    var logger: Logger { get }
    func owns(group: String) -> Bool
}

extension NodeParts {
    /// Seconds on the clock's monotonic reading.
    package func now() -> Double { clock.monotonicSeconds() }

    /// `name`'s configuration as the node runs it now: a reload may have changed it in place since the start (its
    /// shares hold it: `ShareSettings`).
    package func currentGroup(_ name: String) -> GroupConfiguration? {
        shares.of(group: name).first?.group ?? identity.configuration.groups[name]
    }
}
