import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore

struct TokenCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Make an API token.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "What it is for, e.g. prometheus or backup-script.") var name: String
    @Option(name: .long, help: "admin, operator or viewer.") var role: String
    @Option(name: .long, help: "How long it is valid, e.g. 90d or 12h (default: until revoked).") var expires: String?
    @Option(name: .long, help: "The node to ask.") var node: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        guard let role = ConsoleRole(rawValue: role) else {
            throw CommandError("--role takes \(ConsoleRole.names), not '\(role)'")
        }
        var seconds: Double?
        if let expires {
            do throws(ConfigDurationError) {
                seconds = try ConfigDuration.parse(expires).seconds
            } catch {
                throw CommandError("--expires: \(error)")
            }
            guard let value = seconds, value > 0 else { throw CommandError("--expires must be longer than zero") }
        }
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(
            ControlRequest.tokenCreate(name: name, role: role, expiresIn: seconds), waitingUpTo: 0)
        guard response.ok, case .tokenCreated(let token, let secret) = response else {
            throw CommandError(response.error ?? "token create failed")
        }
        if json {
            struct Created: Encodable {
                let token: TokenInfo
                let secret: String
            }
            return try JSONOutput.print(Created(token: token, secret: secret))
        }
        print(secret)
        let expiry = token.expiresAt.map { "expires \($0)" } ?? "valid until revoked"
        FileHandle.standardError.write(
            Data(
                "token \(token.id) (\(token.name), \(token.role), \(expiry)); it is shown this once: keep it now\n".utf8
            ))
    }
}
