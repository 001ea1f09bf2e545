import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

struct SwitchoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchover",
        abstract: "Hand a group to its peer now, losing nothing (a planned switchover).",
        discussion: """
            Run it on either node: on the follower it asks the node that serves the group to run it, and prints that \
            node's report. The serving node stops the services (stop scripts), waits until the peer has \
            acknowledged every change, releases the service address and hands the next epoch to the peer, which takes \
            the address and starts the services; this node then follows it. Refused, changing nothing, when the peer \
            is unreachable, not connected, or behind; --force only stops waiting for changes still in flight (what \
            did not arrive is kept as conflicts when this node rejoins), never for an unreachable peer.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The group to hand over.") var group: String
    @Option(name: .long, help: "The node to ask (default: the only node, or the one named like this host).")
    var node: String?
    @Flag(name: .long, help: "Hand over even if changes are still in flight (see above).") var force = false
    @Flag(name: .long, help: "Only say whether the switchover could run, and what it would do.") var dryRun = false

    func run() throws {
        try RoleChange.run(.switchover, group: group, node: node, force: force, dryRun: dryRun, options: options)
    }
}
