import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "List files kept in two versions after a rejoin, or resolve one.",
        discussion: """
            When a node that served a group rejoins, a file it changed that the serving node never received (or \
            changed too) is kept beside the serving version as NAME.understudy-conflict-NODE-TIME.EXT. \
            `understudy conflicts resolve GROUP/SHARE/PATH --keep local|remote|both` on the serving node: local keeps \
            its version and removes the copy, remote puts the copy in its place, both keeps both.
            """,
        subcommands: [ConflictsListCommand.self, ConflictsResolveCommand.self],
        defaultSubcommand: ConflictsListCommand.self
    )
}
