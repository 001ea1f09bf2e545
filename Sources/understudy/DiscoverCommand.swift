import ArgumentParser
import Foundation
import UnderstudyCore
import UnderstudySupport

struct DiscoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "List the SMB shares and NFS exports a primary offers, and print configuration for them.",
        discussion: """
            Asks HOST with smbclient (its disk shares; anonymously, or as --user with --authentication-file) and \
            showmount (its NFS exports), lists what it found, and prints the configuration tables that protect the \
            chosen ones (--share, repeatable; all by default): HOST as a node and a group from it to --standby (with \
            --agentless: a group whose shares --standby mounts and scans, HOST running no understudy). \
            Administrative shares (C$, IPC$, names ending in $) and printers are left out. A tool that is not \
            installed is skipped with what to install (smbclient; nfs-common for showmount).
            """
    )

    @Argument(help: "The primary: a host name or an address.") var host: String
    @Option(name: .long, help: "The SMB user (default: anonymous).") var user: String?
    @Option(
        name: .long,
        help: "A file of username=, password= and domain= lines for SMB (smbclient's --authentication-file).")
    var authenticationFile: String?
    @Option(name: .customLong("share"), help: "A share (SMB name or NFS path) to configure (repeatable).")
    var chosen: [String] = []
    @Option(name: .long, help: "The standby node in the printed group.") var standby = "standby"
    @Option(name: .long, help: "How long each tool may take, in seconds.") var timeout: Double = 20
    @Flag(
        name: .long,
        help: "HOST runs no understudy: print an agentless group, each share mounted on the standby and scanned.")
    var agentless = false
    @Flag(name: .long, help: "Print what was found as JSON (shares, skipped tools, the snippet).") var json = false

    func validate() throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]_")
        guard !host.isEmpty, !host.hasPrefix("-"), host.allSatisfy({ allowed.contains($0) }) else {
            throw ValidationError("HOST '\(host)' must be a host name or an address (letters, digits, '.', '-', ':')")
        }
        if let authenticationFile, !FileManager.default.isReadableFile(atPath: authenticationFile) {
            throw ValidationError("--authentication-file \(authenticationFile) cannot be read")
        }
        if let user, user.isEmpty || user.hasPrefix("-") {
            throw ValidationError("--user '\(user)' is not a user name")
        }
        guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be above 0 and at most 600 s") }
    }

    struct Report: Encodable {
        var host: String
        var shares: [DiscoveredShare]
        var skipped: [String]
        var snippet: String?
    }

    func run() async throws {
        var report = Report(host: host, shares: [], skipped: [], snippet: nil)
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        var smbArguments = ["-L", "//\(bare)", "-g"]
        if let authenticationFile {
            smbArguments += ["--authentication-file", authenticationFile]
        } else if let user {
            smbArguments += ["--user", user]
        } else {
            smbArguments.append("--no-pass")
        }
        switch await tool("smbclient", smbArguments, package: "smbclient") {
        case .success(let output): report.shares += DiscoveredShare.smb(fromListing: output)
        case .failure(let reason): report.skipped.append("SMB: \(reason)")
        }
        switch await tool("showmount", ["-e", "--no-headers", bare], package: "nfs-common") {
        case .success(let output): report.shares += DiscoveredShare.nfs(fromExports: output)
        case .failure(let reason): report.skipped.append("NFS: \(reason)")
        }
        let unknown = chosen.filter { name in !report.shares.contains { $0.name == name } }
        guard unknown.isEmpty else {
            throw CommandError(
                "\(host) offers no share \(unknown.joined(separator: ", ")); it offers: \(report.shares.map(\.name).joined(separator: ", "))"
            )
        }
        let selected = chosen.isEmpty ? report.shares : report.shares.filter { chosen.contains($0.name) }
        if !selected.isEmpty {
            report.snippet = ConfigurationSnippet.of(
                host: host, shares: selected, standby: standby, agentless: agentless)
        }
        if json { return try JSONOutput.print(report) }
        print("understudy discover: \(host)")
        for skipped in report.skipped { print("  skipped \(skipped)") }
        if report.shares.isEmpty {
            print("  no shares found")
            throw ExitCode(1)
        }
        let width = report.shares.map(\.name.count).max() ?? 0
        for share in report.shares {
            print(
                "  \(share.kind.rawValue.uppercased())  \(share.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(share.detail)"
            )
        }
        if let snippet = report.snippet { print("\n" + snippet) }
    }

    /// Runs a listing tool; its output, or why it gave none.
    private func tool(_ name: String, _ arguments: [String], package: String) async -> Result<String, ToolFailure> {
        guard
            let path = ["/usr/bin/", "/usr/sbin/", "/sbin/", "/bin/"].map({ $0 + name })
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return .failure(ToolFailure("\(name) is not installed (apt install \(package))")) }
        let outcome = await ProcessRunner.run(
            executable: path, arguments: arguments, environment: ["LC_ALL": "C"], timeout: timeout)
        guard outcome.succeeded else {
            let said = outcome.output.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
            return .failure(ToolFailure("\(name) found nothing (\(outcome.summary))\(said.isEmpty ? "" : ": \(said)")"))
        }
        return .success(outcome.output)
    }

    struct ToolFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
