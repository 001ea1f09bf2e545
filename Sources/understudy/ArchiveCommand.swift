import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

struct ArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Take or remove an archive of a replica on this standby.",
        subcommands: [ArchiveNowCommand.self, ArchiveRemoveCommand.self]
    )
}
