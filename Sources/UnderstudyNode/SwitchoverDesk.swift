import UnderstudyControl
import UnderstudyCore

/// What the serving side needs to run a switchover or failback its peer asked for over the wire.
protocol SwitchoverDesk: Sendable {
    func runSwitchover(askedByPeer request: ControlRequest) async -> ControlResponse
}

extension ControlCommands: SwitchoverDesk {
    func runSwitchover(askedByPeer request: ControlRequest) async -> ControlResponse {
        await handleSwitchover(request, forwarded: true)
    }
}
