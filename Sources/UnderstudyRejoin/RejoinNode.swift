import Logging
import UnderstudyCore
import UnderstudyReplication
import UnderstudyState
import UnderstudySupport

/// What a rejoin needs of the node it runs on: who it is, who holds the group, the shares' trees, the state
/// database (conflicts, rejoin marks), the event log and the clock. The daemon's runtime provides it.
package protocol RejoinNode: EventRecorder {
    var name: String { get }
    var database: StateDatabase { get }
    var shares: ShareTable { get }
    var clock: any EngineClock { get }
    var logger: Logger { get }
    func ownership(group: String) -> GroupOwnership?
}
