import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode
import UnderstudyFileSystem

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration; print every problem as file:line: message.",
        discussion: """
            Problems and warnings go to standard output, one a line, in the form editors and terminals turn into \
            links: FILE:LINE: message for each error, FILE: warning: message for each warning. The exit status is 1 \
            if there is any error, 0 otherwise (warnings included).
            """
    )

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let configuration: ClusterConfiguration
        switch options.loaded() {
        case .success(let loaded): configuration = loaded
        case .failure(let problems):
            print(problems.description)
            throw ExitCode(1)
        }
        let groups = configuration.groups.count
        let shares = configuration.groups.values.reduce(0) { $0 + $1.shares.count }
        let counted = { (count: Int, noun: String) in "\(count) \(noun)\(count == 1 ? "" : "s")" }
        print(
            "\(options.config): ok — cluster \(configuration.cluster), \(counted(configuration.nodes.count, "node")), \(counted(groups, "group")), \(counted(shares, "share"))"
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
            print("\(configuration.sourcePath): warning: \(warning)")
        }
    }
}
