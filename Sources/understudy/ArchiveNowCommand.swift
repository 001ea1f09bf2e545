import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

struct ArchiveNowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "now",
        abstract: "Take an archive of GROUP/SHARE now and wait until it is complete.",
        discussion: """
            It is taken between two syncs (the mirror waits, it does not stop), so it holds every file as one complete \
            version, as of one moment. Without --schedule it belongs to the series "manual", which retention never prunes \
            (remove those with `understudy archive remove`).
            """
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "GROUP/SHARE (or GROUP when it has one share).") var target: String
    @Option(name: .long, help: "Count it in this schedule's series (its paths and retention).") var schedule: String?
    @Option(name: .long, help: "The node to ask (default: the only node, or the one named like this host).")
    var node: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let (group, share) = ShareName.split(target)
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(
            ControlRequest.archiveNow(group: group, share: share, schedule: schedule), waitingUpTo: 0)
        guard response.ok, let archive = response.archives?.first else {
            throw CommandError(response.error ?? "the archive failed")
        }
        if json { return try JSONOutput.print(archive) }
        print(
            "archive \(archive.id) of \(archive.group)/\(archive.share): \(archive.files) files, \(ByteCount.format(archive.bytes)), "
                + String(format: "%.2f s", archive.seconds ?? 0) + " (\(archive.method ?? "?"))"
                + (archive.error.map { "; note: \($0)" } ?? ""))
    }
}
