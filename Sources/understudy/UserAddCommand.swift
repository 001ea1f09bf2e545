import ArgumentParser
import UnderstudyControl
import UnderstudyCore

struct UserAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a console user.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The user's name: letters, digits, '-', '_', '.', '@'.") var name: String
    @Option(name: .long, help: "admin, operator or viewer.") var role: String
    @Flag(name: .long, help: "Read the password as one line from standard input.") var passwordStdin = false
    @Option(name: .long, help: "The node to ask.") var node: String?

    func run() throws {
        guard let role = ConsoleRole(rawValue: role) else {
            throw CommandError("--role takes \(ConsoleRole.names), not '\(role)'")
        }
        let password = try PasswordInput.read(fromStandardInput: passwordStdin, for: name)
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(
            ControlRequest.userAdd(name: name, role: role, password: password), waitingUpTo: 0)
        guard response.ok else { throw CommandError(response.error ?? "user add failed") }
        print("user \(name) added (\(role))")
    }
}
