import UnderstudyCore

/// `understudy doctor`: checks a machine for one node of the configuration, before the daemon is installed or
/// started and after: capabilities, change capture (fanotify, or inotify's limit against the shares' directories),
/// ports, each peer on every link, the clock, disk room, the service addresses, the commands the groups run and the
/// certificates. Pure judgement over what `machine` reports; each finding says what to do.
public struct Doctor: Sendable {
    let configuration: ClusterConfiguration
    let node: NodeConfiguration
    let machine: any DoctorMachine
    /// This node's daemon answers its control socket: the ports it holds and the addresses it took are its own.
    let daemonRunning: Bool
    /// How long a peer's or an address's answer is waited for.
    let connectTimeout: Double

    public init(
        configuration: ClusterConfiguration, node: String, machine: any DoctorMachine, daemonRunning: Bool,
        connectTimeout: Double = 2
    ) {
        self.configuration = configuration
        self.node = configuration.nodes[node]!
        self.machine = machine
        self.daemonRunning = daemonRunning
        self.connectTimeout = connectTimeout
    }

    /// The groups this node is a member of (either may come to hold them).
    var groups: [GroupConfiguration] { configuration.groups(whereNode: node.name) }

    /// Every finding, in the order of the checks.
    public func findings() -> [DoctorFinding] {
        capabilities() + stateDirectory() + certificates() + changeCapture() + agentlessMounts() + ports() + peers()
            + clock() + diskRoom() + serviceAddresses() + commands()
    }

    /// Whether the node can start: no finding is a problem.
    public static func canStart(_ findings: [DoctorFinding]) -> Bool {
        !findings.contains { $0.verdict == .problem }
    }
}
