import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

struct FailbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failback",
        abstract: "Return a group to its configured primary once it has rejoined and caught up.",
        discussion: """
            Run it on either node after a takeover (asked on the follower, the serving node runs it). The repaired \
            primary rejoined as its follower \
            (its own changes that never arrived were kept as conflicts, see `understudy conflicts`); failback is a \
            switchover back to it. --dry-run says whether it is in sync and lists open conflicts.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The group to return.") var group: String
    @Option(name: .long, help: "The node to ask.") var node: String?
    @Flag(name: .long, help: "Hand over even if changes are still in flight.") var force = false
    @Flag(name: .long, help: "Only say what would move and which conflicts exist.") var dryRun = false

    func run() throws {
        try RoleChange.run(.failback, group: group, node: node, force: force, dryRun: dryRun, options: options)
    }
}
