import Logging
import UnderstudyCore
import UnderstudyReplication
import UnderstudyState
import UnderstudySupport

/// What the failover part needs of the node it runs on: who it is, who holds each group (read, and set when a
/// takeover or hand-over is stored), the shares (drained before a hand-over), the live status, the state database
/// (ownership records), what the replication side learns (`peerNews`), the event log and the clock. The daemon's
/// runtime provides it.
package protocol FailoverNode: EventRecorder {
    var identity: LocalNode { get }
    var database: StateDatabase { get }
    var status: StatusRegistry { get }
    var shares: ShareTable { get }
    var clock: any EngineClock { get }
    var logger: Logger { get }
    var peerNews: Broadcast<PeerNews> { get }
    func ownership(group: String) -> GroupOwnership?
    func owns(group: String) -> Bool
    func setOwnership(_ ownership: GroupOwnership, group: String)
}

extension FailoverNode {
    var name: String { identity.name }
    var configuration: ClusterConfiguration { identity.configuration }
    /// Seconds on the clock's monotonic reading.
    var now: @Sendable () -> Double { { [clock] in clock.monotonicSeconds() } }
}
