import ArgumentParser

@main
struct Understudy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "understudy",
        abstract: "A standby server: mirrors a primary's shares to a standby over mutual TLS.",
        discussion: "Every node uses the same configuration file; see docs/configuration.md.",
        subcommands: [
            InitCommand.self, CheckConfigCommand.self, RunCommand.self, StatusCommand.self, SyncCommand.self,
            FailoverCommand.self,
            ArchivesCommand.self, ArchiveCommand.self, HistoryCommand.self, RestoreCommand.self,
            SwitchoverCommand.self, FailbackCommand.self, ConflictsCommand.self, AdoptCommand.self, GuardCommand.self,
            UserCommand.self, TokenCommand.self, MaintenanceCommand.self, SeedCommand.self,
        ]
    )
}
