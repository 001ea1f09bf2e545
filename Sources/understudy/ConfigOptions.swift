import ArgumentParser
import Foundation
import Logging
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode
import UnderstudySupport

/// `--config`, shared by every subcommand, and loading with every problem reported as file:line: message.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "The cluster configuration file.")
    var config: String = "/etc/understudy/understudy.toml"
    @Option(
        name: .long,
        help: "Ask a node's console over HTTPS (https://HOST:PORT) instead of the local control socket; needs --token.")
    var url: String?
    @Option(name: .long, help: "The API token for --url (default: $UNDERSTUDY_TOKEN).")
    var token: String?
    @Option(
        name: .long, help: "With --url: the cluster's ca.pem to verify the node with (default: the system's roots).")
    var ca: String?

    func load() throws -> ClusterConfiguration {
        try loaded().get()
    }

    /// The configuration, or every problem with it, one line each: `file:line: message` (or what stopped the file
    /// from being read at all).
    func loaded() -> Result<ClusterConfiguration, CommandError> {
        // Relative paths inside the file (certificates) resolve against its directory, so make it absolute.
        let config =
            self.config.hasPrefix("/") ? self.config : FileManager.default.currentDirectoryPath + "/" + self.config
        let text: String
        do {
            text = try ConfigurationFile.read(config)
        } catch {
            return .failure(CommandError(error.description))
        }
        return ConfigurationLoader.load(text: text, path: config).mapError { CommandError("\($0)") }
    }

    /// The node this command talks about: --node, or the only node of the configuration.
    static func node(_ name: String?, in configuration: ClusterConfiguration) throws -> String {
        if let name {
            guard configuration.nodes[name] != nil else {
                throw CommandError(
                    "node '\(name)' is not in \(configuration.sourcePath); its nodes: \(configuration.nodes.keys.sorted().joined(separator: ", "))"
                )
            }
            return name
        }
        if configuration.nodes.count == 1 { return configuration.nodes.keys.first! }
        if let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init),
            configuration.nodes[host] != nil
        {
            return host
        }
        throw CommandError(
            "say which node with --node (one of: \(configuration.nodes.keys.sorted().joined(separator: ", ")))")
    }
}

struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension ControlClient {
    /// The control socket of --node (or the only node) of the configuration; with --url, that node's HTTPS API.
    static func forNode(_ name: String?, options: ConfigOptions) throws -> (any ControlTransport, String) {
        if let url = options.url {
            guard let token = options.token ?? ProcessInfo.processInfo.environment["UNDERSTUDY_TOKEN"], !token.isEmpty
            else {
                throw CommandError(
                    "--url needs an API token: --token TOKEN or UNDERSTUDY_TOKEN (on a node: understudy token create NAME --role viewer)"
                )
            }
            do {
                let client = try RemoteControlClient(url: url, token: token, caFile: options.ca)
                return (client, name ?? url)
            } catch {
                throw CommandError("\(error)")
            }
        }
        let configuration = try options.load()
        let node = try ConfigOptions.node(name, in: configuration)
        return (ControlClient(socketPath: configuration.nodes[node]!.controlSocket), node)
    }
}

enum LogSetup {
    /// - Parameter format: nil: `journal` when standard error is systemd's journal stream, `plain` otherwise.
    static func bootstrap(level: Logger.Level, format: LogFormat? = nil) {
        let format = format ?? LogFormat.detected()
        LoggingSystem.bootstrap { label in format.handler(label: label, level: level) }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
