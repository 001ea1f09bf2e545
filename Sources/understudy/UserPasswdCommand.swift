import ArgumentParser
import UnderstudyControl
import UnderstudyCore

struct UserPasswdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "passwd", abstract: "Set a user's password.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The user's name.") var name: String
    @Flag(name: .long, help: "Read the password as one line from standard input.") var passwordStdin = false
    @Option(name: .long, help: "The node to ask.") var node: String?

    func run() throws {
        let password = try PasswordInput.read(fromStandardInput: passwordStdin, for: name)
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest.userPassword(name: name, password: password), waitingUpTo: 0)
        guard response.ok else { throw CommandError(response.error ?? "user passwd failed") }
        print("password of user \(name) changed")
    }
}
