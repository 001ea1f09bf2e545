import Logging
import UnderstudyCore
import UnderstudyReplication
import UnderstudyState
import UnderstudySupport

/// What the archive part needs of the node it runs on: who it is, which groups it holds, the shares' trees and live
/// status, the state database (catalog, history), the event log and the clock. The daemon's runtime provides it.
package protocol ArchiveNode: EventRecorder {
    var identity: LocalNode { get }
    var database: StateDatabase { get }
    var status: StatusRegistry { get }
    var shares: ShareTable { get }
    var clock: any EngineClock { get }
    var logger: Logger { get }
    func owns(group: String) -> Bool
}

extension ArchiveNode {
    var name: String { identity.name }
    var configuration: ClusterConfiguration { identity.configuration }
    /// Seconds on the clock's monotonic reading.
    func now() -> Double { clock.monotonicSeconds() }
}
