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
    @Option(name: .long, help: "The node to ask (default: the only node, or the one named like this host).") var node: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let (group, share) = ShareName.split(target)
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest(command: .archives, group: group, share: share), waitingUpTo: 0)
        guard response.ok else { throw CommandError(response.error ?? "the daemon refused") }
        let archives = response.archives ?? []
        if json { return try JSONOutput.print(archives) }
        if archives.isEmpty { return print("no archives") }
        var rows = [["ID", "SHARE", "TAKEN", "FILES", "SIZE", "OWN SPACE", "TIME", "METHOD", "STATE"]]
        for archive in archives {
            rows.append([archive.id, "\(archive.group)/\(archive.share)", StatusTable.timestamp(archive.takenAt), "\(archive.files)",
                         ByteCount.format(archive.bytes), archive.exclusiveBytes.map(ByteCount.format) ?? "-",
                         archive.seconds.map { String(format: "%.2fs", $0) } ?? "-", archive.method ?? "-",
                         archive.state.rawValue + (archive.error.map { ": \($0)" } ?? "")])
        }
        print(StatusTable.columns(rows).joined(separator: "\n"))
    }
}

struct ArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Take or remove an archive of a replica on this standby.",
        subcommands: [ArchiveNowCommand.self, ArchiveRemoveCommand.self]
    )
}

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
    @Option(name: .long, help: "The node to ask (default: the only node, or the one named like this host).") var node: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let (group, share) = ShareName.split(target)
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest(command: .archiveNow, group: group, share: share, schedule: schedule), waitingUpTo: 0)
        guard response.ok, let archive = response.archives?.first else { throw CommandError(response.error ?? "the archive failed") }
        if json { return try JSONOutput.print(archive) }
        print("archive \(archive.id) of \(archive.group)/\(archive.share): \(archive.files) files, \(ByteCount.format(archive.bytes)), "
              + String(format: "%.2f s", archive.seconds ?? 0) + " (\(archive.method ?? "?"))"
              + (archive.error.map { "; note: \($0)" } ?? ""))
    }
}

struct ArchiveRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove one archive of GROUP/SHARE (deleted a little at a time; waits until it is gone)."
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "GROUP/SHARE.") var target: String
    @Argument(help: "The archive's ID (see `understudy archives`).") var id: String
    @Option(name: .long, help: "The node to ask (default: the only node, or the one named like this host).") var node: String?

    func run() throws {
        let (group, share) = ShareName.split(target)
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest(command: .archiveRemove, group: group, share: share, archive: id), waitingUpTo: 0)
        guard response.ok else { throw CommandError(response.error ?? "the archive was not removed") }
        print(response.message ?? "removed")
    }
}

enum ShareName {
    /// "group/share" → ("group", "share"); "group" → ("group", nil).
    static func split(_ text: String?) -> (String?, String?) {
        guard let text, !text.isEmpty else { return (nil, nil) }
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        return (parts[0], parts.count > 1 ? parts[1] : nil)
    }
}

enum JSONOutput {
    static func print<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder.control
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
