import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

enum RoleChange {
    static func run(
        _ command: ControlRequest.Command, group: String, node: String?, force: Bool, dryRun: Bool,
        options: ConfigOptions
    ) throws {
        let (client, _) = try ControlClient.forNode(node, options: options)
        let request: ControlRequest =
            command == .failback
            ? .failback(group: group, force: force, dryRun: dryRun)
            : .switchover(group: group, force: force, dryRun: dryRun)
        let response = try client.send(request, waitingUpTo: 0)
        if let message = response.message { print(message) }
        guard response.ok else { throw CommandError(response.error ?? "\(command.rawValue) refused") }
    }
}
