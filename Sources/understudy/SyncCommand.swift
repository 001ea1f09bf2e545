import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Ask the standby daemon to re-sync now and wait until the replicas are current.",
        discussion: "Run it on the standby node. Exits non-zero if any share could not be brought in step."
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The group to sync (default: every group this node is standby of).") var group: String?
    @Option(name: .long, help: "The node to ask (default: the only node, or the one named like this host).")
    var node: String?
    @Option(name: .long, help: "Seconds to wait for a daemon that is still starting.") var wait: Double = 0
    @Flag(name: .long, help: "Print the results as JSON.") var json = false

    func run() throws {
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest.sync(group: group), waitingUpTo: wait)
        if json {
            let encoder = JSONEncoder.control
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(response), as: UTF8.self))
        } else {
            for result in response.syncResults ?? [] {
                let plan = result.plan
                var line =
                    "\(result.group)/\(result.share): \(result.ok ? "in sync" : "FAILED") in \(String(format: "%.3f", result.seconds))s"
                if let plan {
                    line +=
                        " — \(plan.files) files (\(ByteCount.format(plan.bytes)), \(plan.deltas) deltas), \(plan.renames) renames, \(plan.deletions) deletions, \(ByteCount.format(result.bytesReceived)) received"
                }
                if let error = result.error { line += " — \(error)" }
                print(line)
            }
        }
        if !response.ok { throw CommandError(response.error ?? "sync failed") }
    }
}
