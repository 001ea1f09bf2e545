import ArgumentParser

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Manage API tokens for scripts and monitoring.",
        discussion: """
            A token stands for a role (admin, operator or viewer) without a user's password: a script sends it as \
            `Authorization: Bearer TOKEN`. It is shown once, when it is made; only its digest is kept. It may \
            expire, and can be revoked at any time.
            """,
        subcommands: [TokenCreateCommand.self, TokenRevokeCommand.self, TokenListCommand.self],
        defaultSubcommand: TokenListCommand.self
    )
}
