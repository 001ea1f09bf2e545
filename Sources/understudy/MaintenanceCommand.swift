import ArgumentParser
import UnderstudyControl
import UnderstudyCore

struct MaintenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maintenance",
        abstract: "Hold a group's automatic failover for planned work, or end the hold.",
        discussion: """
            While a group is in maintenance, no node takes it over by itself: a failure is reported, and \
            `understudy failover GROUP` still takes over when asked. It holds on every node until turned off, and \
            shows in `status`, the console and the metrics.
            """
    )
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The group.") var group: String
    @Argument(help: "on or off.") var state: String
    @Option(name: .long, help: "The node to ask.") var node: String?

    func run() throws {
        guard state == "on" || state == "off" else { throw CommandError("say on or off, not '\(state)'") }
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest.maintenance(group: group, on: state == "on"), waitingUpTo: 0)
        guard response.ok else { throw CommandError(response.error ?? "maintenance failed") }
        print(response.message ?? "done")
    }
}
