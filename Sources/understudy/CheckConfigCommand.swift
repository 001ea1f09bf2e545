import ArgumentParser
import Foundation
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
        for warning in ConfigurationAdvice.warnings(configuration) + ReplicaAdvice.warnings(configuration) {
            print("warning: \(warning)")
        }
    }
}
