import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

struct ArchiveRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove one archive of GROUP/SHARE (deleted a little at a time; waits until it is gone)."
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "GROUP/SHARE.") var target: String
    @Argument(help: "The archive's ID (see `understudy archives`).") var id: String
    @Option(name: .long, help: "The node to ask (default: the only node, or the one named like this host).")
    var node: String?

    func run() throws {
        let (group, share) = ShareName.split(target)
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(
            ControlRequest.archiveRemove(group: group, share: share, archive: id), waitingUpTo: 0)
        guard response.ok else { throw CommandError(response.error ?? "the archive was not removed") }
        print(response.message ?? "removed")
    }
}
