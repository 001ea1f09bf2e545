import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

struct ArchivesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archives",
        abstract: "List the archives this standby keeps (all, of a group, or of GROUP/SHARE).",
        discussion: """
            SIZE is the sum of the files' sizes; OWN SPACE is the disk space only that archive holds — files that \
            neither the replica nor another archive shares (what removing it frees). Archives made with reflinks share \
            extents, not inodes, and show "-".
            """
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "GROUP or GROUP/SHARE.") var target: String?
    @Option(name: .long, help: "The node to ask (default: the only node, or the one named like this host).")
    var node: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let (group, share) = ShareName.split(target)
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest.archives(group: group, share: share), waitingUpTo: 0)
        guard response.ok else { throw CommandError(response.error ?? "the daemon refused") }
        let archives = response.archives ?? []
        if json { return try JSONOutput.print(archives) }
        if archives.isEmpty { return print("no archives") }
        var rows = [["ID", "SHARE", "TAKEN", "FILES", "SIZE", "OWN SPACE", "TIME", "METHOD", "STATE"]]
        for archive in archives {
            rows.append([
                archive.id, "\(archive.group)/\(archive.share)", StatusTable.timestamp(archive.takenAt),
                "\(archive.files)",
                ByteCount.format(archive.bytes), archive.exclusiveBytes.map(ByteCount.format) ?? "-",
                archive.seconds.map { String(format: "%.2fs", $0) } ?? "-", archive.method ?? "-",
                archive.state.rawValue + (archive.error.map { ": \($0)" } ?? ""),
            ])
        }
        print(StatusTable.columns(rows).joined(separator: "\n"))
    }
}
