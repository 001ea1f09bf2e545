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
    @Option(name: .long, help: "The node to ask (default: the only node, or the one named like this host).") var node: String?
    @Flag(name: .long, help: "Hand over even if changes are still in flight (see above).") var force = false
    @Flag(name: .long, help: "Only say whether the switchover could run, and what it would do.") var dryRun = false

    func run() throws {
        try RoleChange.run(.switchover, group: group, node: node, force: force, dryRun: dryRun, options: options)
    }
}

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

enum RoleChange {
    static func run(_ command: ControlRequest.Command, group: String, node: String?, force: Bool, dryRun: Bool, options: ConfigOptions) throws {
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest(command: command, group: group, force: force, dryRun: dryRun), waitingUpTo: 0)
        if let message = response.message { print(message) }
        guard response.ok else { throw CommandError(response.error ?? "\(command.rawValue) refused") }
    }
}

struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "List files kept in two versions after a rejoin, or resolve one.",
        discussion: """
            When a node that served a group rejoins, a file it changed that the serving node never received (or \
            changed too) is kept beside the serving version as NAME.understudy-conflict-NODE-TIME.EXT. \
            `understudy conflicts resolve GROUP/SHARE/PATH --keep local|remote|both` on the serving node: local keeps \
            its version and removes the copy, remote puts the copy in its place, both keeps both.
            """,
        subcommands: [ConflictsListCommand.self, ConflictsResolveCommand.self],
        defaultSubcommand: ConflictsListCommand.self
    )
}

struct ConflictsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List open conflicts.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "Only this group.") var group: String?
    @Option(name: .long, help: "The node to ask.") var node: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest(command: .conflicts, group: group), waitingUpTo: 0)
        guard response.ok, let conflicts = response.conflicts else { throw CommandError(response.error ?? "conflicts failed") }
        if json { return try JSONOutput.print(conflicts) }
        if conflicts.isEmpty { return print("no open conflicts") }
        let format = ISO8601DateFormatter()
        for conflict in conflicts {
            let current = conflict.currentSize.map { "\($0) bytes, \(conflict.currentModified.map { format.string(from: $0) } ?? "?")" } ?? "none"
            print("\(conflict.share)/\(conflict.path)  [\(conflict.reason)]")
            print("    this node's version: \(current)")
            print("    \(conflict.node)'s version:  \(conflict.copySize) bytes, \(format.string(from: conflict.copyModified)) as \(conflict.copy)")
        }
    }
}

struct ConflictsResolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resolve", abstract: "Resolve one conflict.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "GROUP/SHARE/PATH of the file (or of its conflict copy).") var path: String
    @Option(name: .long, help: "local, remote or both.") var keep: String
    @Option(name: .long, help: "The node to ask.") var node: String?

    func run() throws {
        guard ["local", "remote", "both"].contains(keep) else { throw CommandError("--keep takes local, remote or both, not '\(keep)'") }
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest(command: .conflictResolve, path: path, keep: keep), waitingUpTo: 0)
        guard response.ok else { throw CommandError(response.error ?? "resolve failed") }
        print(response.message ?? "resolved")
    }
}
