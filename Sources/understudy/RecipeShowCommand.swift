import ArgumentParser
import UnderstudyCore

struct RecipeShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print what a recipe does: its steps, checks, canary, private directories and configuration files.",
        discussion: """
            Without a name, lists the recipes. With --group, prints the steps and checks as that group runs them \
            (its own keys override the recipe's, key by key).
            """
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The recipe (nginx, apache, samba).") var name: String?
    @Option(name: .long, help: "Show it as this group of the configuration runs it.") var group: String?

    func run() throws {
        guard let name else {
            for recipe in Recipe.all.values.sorted(by: { $0.name < $1.name }) {
                print("\(recipe.name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(recipe.summary)")
            }
            return
        }
        guard let recipe = Recipe.all[name] else {
            throw CommandError("no recipe '\(name)'; the recipes are \(Recipe.names)")
        }
        var configured: GroupConfiguration?
        if let group {
            let configuration = try options.load()
            guard let found = configuration.groups[group] else {
                throw CommandError("no group '\(group)' in \(configuration.sourcePath)")
            }
            configured = found
        }
        print(Self.lines(recipe, group: configured).joined(separator: "\n"))
    }

    static func lines(_ recipe: Recipe, group: GroupConfiguration?) -> [String] {
        var lines = [
            "recipe \(recipe.name): \(recipe.summary)", "  packages: \(recipe.packages.joined(separator: ", "))",
        ]
        let groupName = group?.name ?? "GROUP"
        let share = group?.shares.first?.name ?? "FIRST-SHARE"
        lines.append(
            "  canary: \(recipe.canaryPath) at the root of share \(share), holding \"\(Recipe.canaryText(group: groupName).dropLast())\" (understudy recipe setup \(groupName))"
        )
        let start = group?.takeover.startScripts ?? recipe.start
        let stop = group?.takeover.stopScripts ?? recipe.stop
        lines += start.enumerated().map { "  start \($0.offset + 1): \($0.element)" }
        lines += stop.enumerated().map { "  stop \($0.offset + 1): \($0.element)" }
        if let group {
            for check in group.takeover.checks {
                var line = "  check \(check.name): \(check.probe.typeName) \(check.probe.target)"
                if case .http(_, _, let body?, _) = check.probe { line += " expecting \"\(body)\"" }
                lines.append(line + " (every \(check.interval), timeout \(check.timeout))")
            }
        } else {
            for check in recipe.checks {
                lines.append("  check \(check.name): \(check.type) \(check.target) (at the group's service address)")
            }
        }
        let privateDirectories = group?.proof.privateDirectories ?? recipe.proofPrivate
        lines.append(
            "  private in a proof: "
                + (ProofConfiguration.alwaysPrivate + privateDirectories).joined(separator: ", "))
        lines.append("  configuration files: \(recipe.configFiles.joined(separator: ", "))")
        lines.append("  syntax check: \(group?.proof.syntaxCheck ?? recipe.syntaxCheck)")
        return lines
    }
}
