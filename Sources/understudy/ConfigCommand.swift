import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore

/// `understudy config history|diff|rollback`: the versions of a group's tracked configuration files.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "The versions of a group's tracked configuration files (config_files, or its recipe's).",
        discussion: """
            The group's primary records a version of each tracked file at every change, whoever made it; its \
            standby keeps a copy of the versions and puts the newest in place (with its config_substitutions) only \
            in a proof, inside the proof's private namespace, and at takeover.
            """,
        subcommands: [ConfigHistoryCommand.self, ConfigDiffCommand.self, ConfigRollbackCommand.self]
    )

    /// The node to ask: `node`, else the group's primary (where the versions are made).
    static func client(
        group: String, node: String?, options: ConfigOptions
    ) throws -> any ControlTransport {
        var target = node
        if target == nil, options.url == nil, let configuration = try? options.load() {
            guard let configured = configuration.groups[group] else {
                throw CommandError(
                    "no group '\(group)' in \(configuration.sourcePath); its groups: \(configuration.groups.keys.sorted().joined(separator: ", "))"
                )
            }
            target = configured.primary
        }
        return try ControlClient.forNode(target, options: options).0
    }
}

struct ConfigHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List the recorded versions of a group's configuration files, newest first.")

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The group.") var group: String
    @Argument(help: "Only this file (its absolute path).") var file: String?
    @Option(name: .long, help: "The node to ask (default: the group's primary).") var node: String?
    @Option(name: .long, help: "How many versions to show (1 to 1000).") var limit = 50
    @Flag(name: .long, help: "Print the versions as JSON.") var json = false

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000, not \(limit)") }
    }

    func run() throws {
        let client = try ConfigCommand.client(group: group, node: node, options: options)
        let response = try client.send(.configHistory(group: group, path: file, limit: limit), waitingUpTo: 0)
        guard let versions = response.configVersions else {
            throw CommandError(response.error ?? "the daemon refused")
        }
        if json {
            try JSONOutput.print(versions)
            return
        }
        if versions.isEmpty { print("no versions of group \(group)'s configuration are recorded yet") }
        for version in versions {
            let size = version.size.map { "\($0) bytes" } ?? "gone"
            let note = version.note.map { " (\($0))" } ?? ""
            print(
                "\(PointInTime.format(version.takenAt))  \(version.path)  version \(version.version)  \(size)  \(version.digest.prefix(12))\(note)"
            )
        }
    }
}

struct ConfigDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed in a tracked file between two versions (default: its last change).")

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The group.") var group: String
    @Argument(help: "The file (its absolute path).") var file: String
    @Option(name: .long, help: "The older version (default: the one before --to).") var from: Int?
    @Option(name: .long, help: "The newer version (default: the newest).") var to: Int?
    @Option(name: .long, help: "The node to ask (default: the group's primary).") var node: String?

    func validate() throws {
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, value < 1 { throw ValidationError("\(name) must be a version number (1 or more)") }
        }
    }

    func run() throws {
        let client = try ConfigCommand.client(group: group, node: node, options: options)
        let response = try client.send(.configDiff(group: group, path: file, from: from, to: to), waitingUpTo: 0)
        guard response.ok, let text = response.message else {
            throw CommandError(response.error ?? "the daemon refused")
        }
        print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
    }
}

struct ConfigRollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Write an older version of a tracked file back on the group's primary (itself a new version).")

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The group.") var group: String
    @Argument(help: "The file (its absolute path).") var file: String
    @Option(name: .long, help: "The version to write back.") var to: Int
    @Option(name: .long, help: "The node to ask (default: the group's primary).") var node: String?

    func validate() throws {
        guard to >= 1 else { throw ValidationError("--to must be a version number (1 or more), not \(to)") }
    }

    func run() throws {
        let client = try ConfigCommand.client(group: group, node: node, options: options)
        let response = try client.send(.configRollback(group: group, path: file, version: to), waitingUpTo: 0)
        guard response.ok, let text = response.message else {
            throw CommandError(response.error ?? "the daemon refused")
        }
        print(text)
    }
}
