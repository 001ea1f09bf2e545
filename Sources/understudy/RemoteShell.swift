import Foundation
import UnderstudySupport

/// A node reached over SSH for `understudy deploy`: commands run there with ssh, files copied with scp, as root, by
/// key (BatchMode: never a password prompt), a new host key accepted and remembered, a changed one refused.
struct RemoteShell {
    let destination: String
    let identity: String?
    let port: Int?
    let options: [String]
    let dryRun: Bool

    /// A word for a POSIX shell: single-quoted, with each single quote closed, escaped and reopened.
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Options both ssh and scp take; the port is -p for ssh, -P for scp.
    func common(portFlag: String) -> [String] {
        var arguments = [
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new", "-o", "ConnectTimeout=10",
            "-o", "LogLevel=ERROR",
        ]
        if let identity { arguments += ["-i", identity] }
        if let port { arguments += [portFlag, String(port)] }
        for option in options { arguments += ["-o", option] }
        return arguments
    }

    /// Runs `script` with /bin/sh on the node and returns what it printed; throws with that output when it fails.
    func run(_ script: String, step: String, timeout: Double = 600) async throws -> String {
        if dryRun {
            print("deploy (dry run): ssh \(destination) sh -c <<'SCRIPT'\n\(script)\nSCRIPT")
            return ""
        }
        return try await execute(script, step: step, timeout: timeout)
    }

    /// Runs `script` on the node, dry run or not.
    private func execute(_ script: String, step: String, timeout: Double) async throws -> String {
        let arguments = common(portFlag: "-p") + [destination, "sh -c " + Self.quote(script)]
        let outcome = await ProcessRunner.run(
            executable: "/usr/bin/ssh", arguments: arguments, timeout: timeout, outputLimit: 1 << 20)
        guard outcome.succeeded else {
            throw CommandError(
                "\(step) on \(destination) failed (\(outcome.summary)):\n\(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines))"
            )
        }
        return outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What the node is: checked before anything is copied. A dry run makes no temporary directory there.
    func probe() async throws -> RemoteFacts {
        let script = """
            echo "uid=$(id -u)"
            echo "arch=$(dpkg --print-architecture 2>/dev/null || uname -m)"
            command -v dpkg >/dev/null && echo dpkg=yes
            [ -d /run/systemd/system ] && echo systemd=yes
            \(dryRun ? "echo directory=/tmp/understudy-deploy.dry-run" : "echo directory=$(mktemp -d /tmp/understudy-deploy.XXXXXX)")
            """
        // Read-only (but for the temporary directory, which a dry run does not make): it runs in a dry run too.
        let output = try await execute(script, step: "reaching the node", timeout: 60)
        return try RemoteFacts(output, destination: destination)
    }

    /// Copies each local file to its name in `directory` on the node.
    func copy(_ files: [(local: String, remote: String)], into directory: String) async throws {
        for file in files {
            let arguments = common(portFlag: "-P") + ["-q", file.local, "\(destination):\(directory)/\(file.remote)"]
            if dryRun {
                print("deploy (dry run): scp \(file.local) \(destination):\(directory)/\(file.remote)")
                continue
            }
            let outcome = await ProcessRunner.run(
                executable: "/usr/bin/scp", arguments: arguments, timeout: 600, outputLimit: 64 * 1024)
            guard outcome.succeeded else {
                throw CommandError(
                    "copying \(file.local) to \(destination) failed (\(outcome.summary)): \(outcome.output)")
            }
        }
        if !dryRun { print("deploy: copied \(files.map(\.remote).joined(separator: ", ")) to \(directory)") }
    }
}

/// What the probe found on the node.
struct RemoteFacts {
    let uid: Int
    let architecture: String
    let dpkg: Bool
    let systemd: Bool
    let directory: String

    init(_ output: String, destination: String) throws {
        var values: [String: String] = [:]
        // ssh ends its own messages with "\r\n", one Character in Swift: split at every kind of line end.
        for line in output.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { values[parts[0]] = parts[1] }
        }
        guard let uid = values["uid"].flatMap(Int.init), let architecture = values["arch"],
            let directory = values["directory"], directory.hasPrefix("/tmp/understudy-deploy.")
        else {
            throw CommandError("\(destination) did not answer as a shell should: \(output)")
        }
        self.uid = uid
        self.architecture = architecture
        dpkg = values["dpkg"] == "yes"
        systemd = values["systemd"] == "yes"
        self.directory = directory
    }

    /// The node must take the package: root, Debian, the package's architecture.
    func check(against package: DebianPackage) throws {
        guard uid == 0 else {
            throw CommandError("the login is not root there (uid \(uid)): log in as root (--ssh root@HOST)")
        }
        guard dpkg else {
            throw CommandError("the node has no dpkg: the package installs on Debian and its derivatives")
        }
        guard architecture == package.architecture || package.architecture == "all" else {
            throw CommandError(
                "the node is \(architecture) and \(package.path) is for \(package.architecture): build the package on an \(architecture) machine"
            )
        }
    }
}
