import ArgumentParser
import UnderstudyFailover
import UnderstudyNode

/// Started by the daemon, never by hand: see `AddressGuardian`.
struct GuardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guard",
        abstract: "(internal) Remove the daemon's service addresses when it ends; started by `understudy run`.",
        shouldDisplay: false
    )

    @Option(name: .long, help: "The daemon this guardian watches.") var daemonPid: Int32

    func run() throws {
        throw ExitCode(AddressGuardianProcess.run(daemonPID: daemonPid))
    }
}
