import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

struct ConflictsResolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resolve", abstract: "Resolve one conflict.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "GROUP/SHARE/PATH of the file (or of its conflict copy).") var path: String
    @Option(name: .long, help: "local, remote or both.") var keep: String
    @Option(name: .long, help: "The node to ask.") var node: String?

    func run() throws {
        guard let kept = ConflictKeep(rawValue: keep) else {
            throw CommandError("--keep takes local, remote or both, not '\(keep)'")
        }
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest.conflictResolve(path: path, keep: kept), waitingUpTo: 0)
        guard response.ok else { throw CommandError(response.error ?? "resolve failed") }
        print(response.message ?? "resolved")
    }
}
