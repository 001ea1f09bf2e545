import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode
import UnderstudyFileSystem

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration; print every problem as file:line: message."
    )

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let configuration = try options.load()
        let groups = configuration.groups.count
        let shares = configuration.groups.values.reduce(0) { $0 + $1.shares.count }
        print(
            "\(options.config): ok — cluster \(configuration.cluster), \(configuration.nodes.count) nodes, \(groups) groups, \(shares) shares"
        )
        var warnings =
            ConfigurationAdvice.warnings(configuration) + ReplicaAdvice.warnings(configuration)
            + CapacityAdvice.warnings(configuration)
        // A node running here knows what its syncs under way still have to write.
        for name in configuration.nodes.keys.sorted() {
            let client = ControlClient(socketPath: configuration.nodes[name]!.controlSocket)
            guard FileManager.default.fileExists(atPath: client.socketPath),
                let report = try? client.send(ControlRequest.status, waitingUpTo: 0).status
            else { continue }
            for warning in report.warnings ?? [] where !warnings.contains(warning) {
                warnings.append("node \(name) (running here): \(warning)")
            }
        }
        for warning in warnings {
            print("warning: \(warning)")
        }
    }
}
