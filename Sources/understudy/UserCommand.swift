import ArgumentParser

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage the console's users (admin, operator, viewer).",
        discussion: """
            Users sign in to the web console and the HTTPS API. admin: everything, users and tokens included; \
            operator: every action (sync, switchover, failover, restore, ...) but no user or token management; \
            viewer: read only, never a secret. Passwords are kept as bcrypt hashes. Users are the cluster's: each \
            node keeps the newest set it has seen.
            """,
        subcommands: [UserAddCommand.self, UserPasswdCommand.self, UserRemoveCommand.self, UserListCommand.self],
        defaultSubcommand: UserListCommand.self
    )
}
