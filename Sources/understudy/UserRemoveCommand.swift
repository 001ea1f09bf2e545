import ArgumentParser
import UnderstudyControl
import UnderstudyCore

struct UserRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a console user.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The user's name.") var name: String
    @Option(name: .long, help: "The node to ask.") var node: String?

    func run() throws {
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest.userRemove(name: name), waitingUpTo: 0)
        guard response.ok else { throw CommandError(response.error ?? "user remove failed") }
        print("user \(name) removed")
    }
}
