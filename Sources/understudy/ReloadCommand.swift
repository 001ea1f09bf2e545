import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore

struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Have the running daemon re-read its configuration file, and say what it applied.",
        discussion: """
            The daemon re-reads and validates the file it was started with (as on SIGHUP; the unit's \
            `systemctl reload understudy` runs this command). A file with problems is refused: each problem is \
            printed as FILE:LINE: message, the exit status is 1, and the daemon goes on with the configuration it \
            runs. A valid file's changes to [notify], and to groups' shares, bandwidth limits, checks, archive \
            schedules, include/exclude patterns and resync/verify intervals, are applied at once without \
            interrupting the mirror of any other group (reload every node of the group); every other change \
            (groups added or removed, nodes, takeover settings) is named and takes effect when the daemon restarts.
            """
    )
    @OptionGroup var options: ConfigOptions
    @Option(name: .long, help: "The node whose daemon re-reads (default: the only node, or this host's).")
    var node: String?
    @Flag(name: .long, help: "Print the daemon's answer as JSON.") var json = false

    func run() throws {
        if options.url == nil, case .failure(let problems) = options.loaded() {
            // The daemon would refuse the same file: say so here, where the socket's path is read from it too.
            Self.refuse(
                "\(problems)\nnothing was reloaded: the running daemon goes on with the configuration it started with")
        }
        let (client, name) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest.reload, waitingUpTo: 0)
        if json {
            try JSONOutput.print(response)
            if !response.ok { throw ExitCode.failure }
            return
        }
        guard response.ok, let report = response.reload else {
            Self.refuse(response.error ?? "node \(name) refused the reload")
        }
        for line in report.lines { print("node \(name): \(line)") }
    }

    /// Prints why nothing was reloaded on standard error (each problem `file:line: message`, where editors find
    /// them) and exits with status 1.
    static func refuse(_ text: String) -> Never {
        FileHandle.standardError.write(Data((text + "\n").utf8))
        Self.exit(withError: ExitCode.failure)
    }
}
