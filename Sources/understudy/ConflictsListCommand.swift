import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

struct ConflictsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List open conflicts.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "Only this group.") var group: String?
    @Option(name: .long, help: "The node to ask.") var node: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest.conflicts(group: group), waitingUpTo: 0)
        guard response.ok, let conflicts = response.conflicts else {
            throw CommandError(response.error ?? "conflicts failed")
        }
        if json { return try JSONOutput.print(conflicts) }
        if conflicts.isEmpty { return print("no open conflicts") }
        let format = ISO8601DateFormatter()
        for conflict in conflicts {
            let current =
                conflict.currentSize.map {
                    "\($0) bytes, \(conflict.currentModified.map { format.string(from: $0) } ?? "?")"
                } ?? "none"
            print("\(conflict.share)/\(conflict.path)  [\(conflict.reason)]")
            print("    this node's version: \(current)")
            print(
                "    \(conflict.node)'s version:  \(conflict.copySize) bytes, \(format.string(from: conflict.copyModified)) as \(conflict.copy)"
            )
        }
    }
}
