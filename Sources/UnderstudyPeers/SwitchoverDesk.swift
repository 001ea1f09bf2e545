import UnderstudyCore

/// What the serving side needs to run a switchover or failback its peer asked for over the wire.
package protocol SwitchoverDesk: Sendable {
    func runSwitchover(askedByPeer request: ControlRequest) async -> ControlResponse
}
