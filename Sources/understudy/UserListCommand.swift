import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore

struct UserListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the console's users.")
    @OptionGroup var options: ConfigOptions
    @Option(name: .long, help: "The node to ask.") var node: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest.users, waitingUpTo: 0)
        guard response.ok, case .users(let users) = response else {
            throw CommandError(response.error ?? "user list failed")
        }
        if json { return try JSONOutput.print(users) }
        if users.isEmpty { return print("no users; `understudy user add NAME --role admin` adds the first") }
        let format = ISO8601DateFormatter()
        print("USER".padding(toLength: 24, withPad: " ", startingAt: 0) + "ROLE      PASSWORD SET")
        for user in users {
            print(
                user.name.padding(toLength: 24, withPad: " ", startingAt: 0)
                    + user.role.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + format.string(from: user.passwordChangedAt))
        }
    }
}
