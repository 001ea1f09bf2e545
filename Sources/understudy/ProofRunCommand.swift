import ArgumentParser
import UnderstudyProof

/// Started by the daemon inside a proof's namespaces, never by hand: see `ProofInside`.
struct ProofRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proof-run",
        abstract: "(internal) Run a proof inside its namespaces; started by the daemon for `understudy verify`.",
        shouldDisplay: false
    )

    @Argument(help: "The proof's plan (JSON).") var plan: String

    func run() async throws {
        throw ExitCode(await ProofInside.main(planPath: plan))
    }
}
