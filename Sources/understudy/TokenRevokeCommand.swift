import ArgumentParser
import UnderstudyControl
import UnderstudyCore

struct TokenRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke an API token at once.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The token's id (`understudy token list`).") var id: String
    @Option(name: .long, help: "The node to ask.") var node: String?

    func run() throws {
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest.tokenRevoke(id: id), waitingUpTo: 0)
        guard response.ok else { throw CommandError(response.error ?? "token revoke failed") }
        print("token \(id) revoked")
    }
}
