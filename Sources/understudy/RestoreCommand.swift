import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a file or a directory as it was, from the history or an archive.",
        discussion: """
            PATH is GROUP/SHARE/path/in/share, or an absolute path inside a replica of this node. --at takes \
            2026-11-22T10:00:00Z, "2026-11-22 10:00" (local time), 2026-11-22, or a duration ago like 2h or 3d; within \
            the history window the files come from the history, before it from the newest archive taken at or before \
            that time. Files go to a new directory (by default restored/<time>/ in the share's archive directory, or --to \
            DIR, never inside a replica or an archive directory however written), never over existing files (they are \
            left as they are and counted, or with --overwrite moved aside first) — unless --in-place, allowed on the \
            node that serves the group: each live file it replaces is kept in the history first, so the restore can \
            itself be undone.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The file or directory.") var path: String
    @Option(name: .long, help: "The moment to go back to.") var at: String?
    @Option(name: .long, help: "The archive to take it from (see `understudy archives`).") var archive: String?
    @Option(name: .long, help: "The directory to restore into (absolute; outside the replica).") var to: String?
    @Flag(name: .long, help: "Replace the live files (the replaced ones are kept in the history).") var inPlace = false
    @Flag(
        name: .long,
        help:
            "With --to: replace files that exist there, each moved aside to NAME.understudy-replaced-TIME first (without it they are left as they are)."
    ) var overwrite = false
    @Option(name: .long, help: "The node to ask (default: the only node, or the one named like this host).")
    var node: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        var moment: Double?
        if let at {
            let now = Date().timeIntervalSince1970
            let calendar = ArchiveCalendar(utcOffsetSeconds: TimeZone.current.secondsFromGMT())
            do {
                moment = try PointInTime.parse(at, now: now, calendar: calendar)
            } catch {
                throw ValidationError("--at \(error)")
            }
        }
        var destination = to
        if let to, !to.hasPrefix("/") {
            destination = FileManager.default.currentDirectoryPath + "/" + to
        }
        let (client, _) = try ControlClient.forNode(node, options: options)
        if overwrite && inPlace {
            throw ValidationError(
                "--overwrite goes with --to; --in-place keeps every replaced file in the history anyway")
        }
        let request = ControlRequest.restore(
            path: path, archive: archive, at: moment, to: destination, inPlace: inPlace, overwrite: overwrite)
        let response = try client.send(request, waitingUpTo: 0)
        guard response.ok, let report = response.restore else {
            throw CommandError(response.error ?? "the restore failed")
        }
        if json { return try JSONOutput.print(report) }
        for note in report.notes { print("note: \(note)") }
        print(
            "restored \(report.files) file\(report.files == 1 ? "" : "s") (\(ByteCount.format(report.bytes))) from \(report.source) into \(report.destination)"
                + (inPlace ? "; \(report.replaced) live files replaced, each kept in the history" : ""))
    }
}
