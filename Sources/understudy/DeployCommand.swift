import ArgumentParser
import Foundation
import UnderstudyCore
import UnderstudySupport

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Install understudy on another node over SSH: the package, the configuration, its certificates.",
        discussion: """
            Run it on the machine where the configuration and the certificates are (where `understudy init` ran). \
            Over SSH as root (keys, no password prompt), it checks the node (Debian, its architecture), copies the \
            package, this configuration (as /etc/understudy/understudy.toml; a different one there is kept as \
            understudy.toml.bak-TIME) and the node's certificates (ca.pem, NODE.pem, NODE-key.pem and cluster.key, \
            the keys mode 600), installs the package with apt (dpkg where apt cannot), runs check-config and doctor \
            there, and starts the unit (systemctl enable --now understudy). Where there is no systemd it says what to \
            run instead. --dry-run prints the steps and changes nothing.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The node to install, as the configuration names it.") var node: String
    @Option(name: .long, help: "Where to log in (default: root@ the node's address).") var ssh: String?
    @Option(name: .long, help: "The Debian package (default: ./understudy_VERSION_ARCH.deb).") var package: String?
    @Option(name: .long, help: "The SSH private key to log in with.") var identity: String?
    @Option(name: .long, help: "The SSH port.") var port: Int?
    @Option(name: .customLong("ssh-option"), help: "More options for ssh and scp, as KEY=VALUE (repeatable).")
    var sshOptions: [String] = []
    @Flag(name: .long, help: "Print the steps without running them.") var dryRun = false
    @Flag(name: .long, help: "Install and configure, but do not start the unit.") var noStart = false

    func validate() throws {
        if let port, !(1...65535).contains(port) { throw ValidationError("--port \(port) is not a port (1-65535)") }
        for option in sshOptions where !option.contains("=") || option.hasPrefix("=") {
            throw ValidationError("--ssh-option '\(option)' must be KEY=VALUE, as in StrictHostKeyChecking=yes")
        }
        if let ssh, ssh.isEmpty || ssh.hasPrefix("-") || ssh.contains(" ") {
            throw ValidationError("--ssh '\(ssh)' must be [USER@]HOST")
        }
    }

    func run() async throws {
        let configuration = try options.load()
        guard let target = configuration.nodes[node] else {
            throw CommandError(
                "node '\(node)' is not in \(configuration.sourcePath); its nodes: \(configuration.nodes.keys.sorted().joined(separator: ", "))"
            )
        }
        let files = try await DeployFiles(configuration: configuration, node: node, package: package)
        let destination = ssh ?? "root@\(target.address.host)"
        let remote = RemoteShell(
            destination: destination, identity: identity, port: port, options: sshOptions, dryRun: dryRun)
        print("deploy: node \(node) at \(destination)")
        let facts = try await remote.probe()
        try facts.check(against: files.package)
        print(
            "deploy: \(destination) is \(facts.architecture), Debian (dpkg), \(facts.systemd ? "with systemd" : "without systemd")"
        )
        try await remote.copy(files.uploads, into: facts.directory)
        let output = try await remote.run(
            files.installScript(in: facts.directory, start: !noStart && facts.systemd), step: "installing")
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) { print("  | \(line)") }
        if !facts.systemd {
            print(
                "deploy: \(node) has no systemd; start the daemon there with: understudy run --config /etc/understudy/understudy.toml --node \(node)"
            )
        } else if noStart {
            print("deploy: installed; start it on \(node) with: systemctl enable --now understudy")
        } else {
            print("deploy: understudy runs on \(node) (systemctl status understudy shows its state)")
        }
    }
}
