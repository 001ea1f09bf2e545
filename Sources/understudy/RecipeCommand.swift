import ArgumentParser

struct RecipeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recipe",
        abstract: "Show what a service recipe does, or make a group's canary on its primary.",
        subcommands: [RecipeShowCommand.self, RecipeSetupCommand.self]
    )
}
