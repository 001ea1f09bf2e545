import ArgumentParser
import UnderstudyControl

@main
struct Understudy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "understudy",
        abstract:
            "A software standby server: mirrors a primary's files, watches it, takes over its address and services.",
        discussion: """
            A standby keeps an up-to-the-second mirror of its primaries' shares over mutual TLS, watches each \
            primary over every link and by exercising its services, and when one fails takes over its address \
            (gratuitous ARP), its data and its services. When the primary is back, the changes made meanwhile go \
            back without overwriting newer data (switchover, failback). It also archives point-in-time copies, keeps \
            every file's history, cascades to an off-site node, and shows it all on a web console, a JSON API, \
            Prometheus metrics and this command line.

            Every node runs `understudy run` with the same configuration file (default \
            /etc/understudy/understudy.toml). Start with `understudy init`, then `understudy check-config`. \
            Documentation: operations.md and configuration.md (in /usr/share/doc/understudy when installed from \
            the package, docs/ in the source), and `man understudy.COMMAND`.
            """,
        version: "understudy \(UnderstudyVersion.current)",
        subcommands: [
            InitCommand.self, CheckConfigCommand.self, DoctorCommand.self, DiscoverCommand.self, DeployCommand.self,
            RunCommand.self, ReloadCommand.self,
            StatusCommand.self,
            SyncCommand.self,
            FailoverCommand.self,
            ArchivesCommand.self, ArchiveCommand.self, HistoryCommand.self, RestoreCommand.self,
            SwitchoverCommand.self, FailbackCommand.self, ConflictsCommand.self, AdoptCommand.self, GuardCommand.self,
            UserCommand.self, TokenCommand.self, MaintenanceCommand.self, SeedCommand.self, VerifyCommand.self,
            RecipeCommand.self, ConfigCommand.self, ProofRunCommand.self,
        ]
    )
}
