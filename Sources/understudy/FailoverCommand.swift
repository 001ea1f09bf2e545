import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

struct FailoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Take over a group on this node now.",
        discussion: """
            Run it on the standby. In manual mode (failover = "manual") this is how a detected failure becomes a \
            takeover; in auto mode it takes over a primary that is already down without waiting. The steps are the \
            automatic ones: fence (if configured), epoch + 1, the replica becomes the live data, the service address is \
            added and announced, the start scripts run. Refused while the primary is still heard on a link, since two \
            nodes would then serve; --force takes over anyway (the old primary steps down when it hears the higher \
            epoch, after at most one heartbeat), which loses the changes it has not yet sent.

            On the group's off-site node it takes the group over at the recovery site (when the main site is lost), \
            with offsite_service_address, offsite_interface and offsite_start; refused while the standby or the \
            primary feeds its copy, unless --force. The main site's nodes follow it when they return.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The group to take over.") var group: String
    @Option(name: .long, help: "The node to ask (default: the only node, or the one named like this host).")
    var node: String?
    @Flag(name: .long, help: "Take over even while the primary is heard (see above).") var force = false

    func run() throws {
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest.failover(group: group, force: force), waitingUpTo: 0)
        guard response.ok else { throw CommandError(response.error ?? "failover refused") }
        print(response.message ?? "taking over group \(group)")
    }
}
