import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the kept prior versions of one replica file (shares with `history` set).",
        discussion: "PATH is GROUP/SHARE/path/in/share, or an absolute path inside a replica of this node."
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The file.") var path: String
    @Option(name: .long, help: "The node to ask (default: the only node, or the one named like this host).")
    var node: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest.history(path: path), waitingUpTo: 0)
        guard response.ok else { throw CommandError(response.error ?? "the daemon refused") }
        let versions = response.history ?? []
        if json { return try JSONOutput.print(versions) }
        if versions.isEmpty { return print("no kept versions of \(path)") }
        var rows = [["ID", "FROM", "UNTIL", "WHY", "SIZE", "MODIFIED", "SHA-256"]]
        for version in versions {
            rows.append([
                "\(version.id)", version.since.map(StatusTable.timestamp) ?? "?", StatusTable.timestamp(version.until),
                version.reason,
                ByteCount.format(version.size), StatusTable.timestamp(version.modified),
                version.sha256.map { String($0.prefix(12)) } ?? "-",
            ])
        }
        print(StatusTable.columns(rows).joined(separator: "\n"))
        print("restore one with: understudy restore \(path) --at TIME (a time inside FROM..UNTIL)")
    }
}
