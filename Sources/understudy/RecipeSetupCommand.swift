import ArgumentParser
import Foundation
import UnderstudyCore
import UnderstudySupport

struct RecipeSetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract:
            "Make a group's canary on its primary (mirrored like any file), and check the service's configuration.",
        discussion: """
            Run it on the group's primary (for an agentless group, on its standby: the share is its mount of the \
            primary's directory). It writes the recipe's canary at the root of the group's first share, which the \
            recipe's checks fetch through the service (at a takeover, and in every proof), then runs the service's \
            own syntax check of its configuration and says what it found.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The group (it must name a recipe).") var group: String
    @Option(name: .long, help: "This node's name (default: the only node, or the one named like this host).")
    var node: String?

    func run() async throws {
        let configuration = try options.load()
        guard let found = configuration.groups[group] else {
            throw CommandError(
                "no group '\(group)' in \(configuration.sourcePath); its groups: \(configuration.groups.keys.sorted().joined(separator: ", "))"
            )
        }
        guard let name = found.recipe, let recipe = Recipe.all[name] else {
            throw CommandError(
                "group '\(group)' names no recipe; add recipe = \"NAME\" to [groups.\(group)] (the recipes are \(Recipe.names))"
            )
        }
        let this = try ConfigOptions.node(node, in: configuration)
        let writer = found.agentless ? found.standby : found.primary
        guard this == writer else {
            throw CommandError(
                "the canary of group '\(group)' is made on \(writer), where its share's source is: run `understudy recipe setup \(group)` there"
            )
        }
        guard let share = found.shares.first else { throw CommandError("group '\(group)' has no share") }
        let path = share.source + "/" + recipe.canaryPath
        do {
            try Self.writeDurably(Recipe.canaryText(group: group), to: path)
        } catch {
            throw CommandError("cannot write the canary \(path): \(error)")
        }
        print("wrote the canary \(path) (share \(group)/\(share.name)); the standby mirrors it")
        for check in found.takeover.checks {
            print("  check \(check.name) finds it: \(check.probe.typeName) \(check.probe.target)")
        }
        let command = found.proof.syntaxCheck ?? recipe.syntaxCheck
        // With the environment its steps get at a takeover, so a check that names the node's files finds them.
        let syntax = await ProcessRunner.run(
            command,
            environment: ["UNDERSTUDY_GROUP": group, "UNDERSTUDY_NODE": this, "UNDERSTUDY_PEER": found.peer(of: this)],
            timeout: 30)
        if syntax.succeeded {
            print("the configuration passes its syntax check (\(command))")
        } else {
            print(
                "WARNING: the configuration fails its syntax check (\(command): \(syntax.summary))"
                    + (syntax.output.isEmpty ? "" : ":\n" + syntax.output))
        }
    }

    /// Writes `text` at `path` as the mirror writes a replica file: a temporary sibling, fsync, rename, fsync the
    /// directory; readable by the service (0644).
    static func writeDurably(_ text: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        // Our reserved prefix: the mirror never sends it, should it see it before the rename.
        let temporary = directory + "/.understudy.canary.tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CommandError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        // The mode as asked, whatever the umask: the service's own user reads it.
        let durable = written == bytes.count && fchmod(fd, 0o644) == 0 && fsync(fd) == 0
        let failure = String(cString: strerror(errno))
        close(fd)
        guard durable else {
            unlink(temporary)
            throw CommandError("cannot write \(temporary): \(failure)")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CommandError("cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
        }
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}
