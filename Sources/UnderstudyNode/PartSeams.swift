import UnderstudyControl
import UnderstudyCore
import UnderstudyFailover
import UnderstudyPeers

/// The follower reads the links' state from the failover part's heartbeats.
extension FailoverService: LinkViewSource {}

/// The serving side runs a switchover its peer asked for through the control commands, as if asked here.
extension ControlCommands: SwitchoverDesk {
    package func runSwitchover(askedByPeer request: ControlRequest) async -> ControlResponse {
        await handleSwitchover(request, forwarded: true)
    }
}
