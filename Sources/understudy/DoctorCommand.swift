import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyDoctor

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check this machine for its node: kernel, capabilities, ports, peers, clock, disk, addresses.",
        discussion: """
            Run it before the first start and whenever something seems wrong: every check prints one line (ok, \
            warning, problem or skipped) and, when something is to be done, what. Checks: capabilities; the change \
            capture (fanotify, or inotify's limit of watches against the shares' directories); the ports the node \
            listens on (free, or held by its running daemon); each peer's mirror port and every link to it; the \
            clock's synchronization; disk room for the state and the replicas; the service addresses (the interface \
            exists, the address is not already held outside understudy); the programs the groups' commands run; the \
            certificates. The exit status is 1 when a check finds a problem, 0 otherwise.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Option(name: .long, help: "This node's name in the configuration (default: the one named like this host).")
    var node: String?
    @Option(name: .long, help: "How long each peer and address is waited for, in seconds.") var timeout: Double = 2
    @Flag(name: .long, help: "Print the findings as a JSON array.") var json = false

    func validate() throws {
        guard timeout > 0, timeout <= 60 else { throw ValidationError("--timeout must be above 0 and at most 60 s") }
    }

    func run() throws {
        let configuration = try options.load()
        let name = try ConfigOptions.node(node, in: configuration)
        let control = ControlClient(socketPath: configuration.nodes[name]!.controlSocket)
        let running = (try? control.send(ControlRequest.status, waitingUpTo: 2).ok) == true
        let doctor = Doctor(
            configuration: configuration, node: name, machine: LinuxMachine(), daemonRunning: running,
            connectTimeout: timeout)
        let findings = doctor.findings()
        if json {
            try JSONOutput.print(findings)
        } else {
            print(
                "understudy doctor: node \(name) of cluster \(configuration.cluster)\(running ? " (its daemon is running)" : "")"
            )
            let width = findings.map(\.area.count).max() ?? 0
            for finding in findings {
                let verdict = finding.verdict.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                print(
                    "\(verdict) \(finding.area.padding(toLength: width, withPad: " ", startingAt: 0))  \(finding.message)"
                )
                if let remedy = finding.remedy {
                    print(String(repeating: " ", count: 9 + width + 2) + "→ \(remedy)")
                }
            }
            let problems = findings.filter { $0.verdict == .problem }.count
            let warnings = findings.filter { $0.verdict == .warning }.count
            print(
                problems > 0
                    ? "\(problems) problem\(problems == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s"): fix the problems before starting understudy"
                    : "no problem\(warnings > 0 ? ", \(warnings) warning\(warnings == 1 ? "" : "s")" : ""): this node can start"
            )
        }
        if !Doctor.canStart(findings) { throw ExitCode(1) }
    }
}
