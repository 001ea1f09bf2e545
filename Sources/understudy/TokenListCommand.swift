import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore

struct TokenListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the API tokens.")
    @OptionGroup var options: ConfigOptions
    @Option(name: .long, help: "The node to ask.") var node: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest.tokens, waitingUpTo: 0)
        guard response.ok, case .tokens(let tokens) = response else {
            throw CommandError(response.error ?? "token list failed")
        }
        if json { return try JSONOutput.print(tokens) }
        if tokens.isEmpty { return print("no tokens; `understudy token create NAME --role viewer` makes one") }
        let format = ISO8601DateFormatter()
        print("ID        NAME                    ROLE      STATE     CREATED BY            EXPIRES")
        for token in tokens {
            print(
                token.id.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + token.name.padding(toLength: 24, withPad: " ", startingAt: 0)
                    + token.role.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + token.state.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + token.createdBy.padding(toLength: 22, withPad: " ", startingAt: 0)
                    + (token.expiresAt.map { format.string(from: $0) } ?? "never"))
        }
    }
}
