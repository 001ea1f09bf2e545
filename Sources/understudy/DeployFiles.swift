import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudySupport

/// What `understudy deploy` sends to a node and the script that installs it there: the package, the configuration
/// file, and the node's certificates, each under a fixed name in the node's temporary directory.
struct DeployFiles {
    /// Local path → name in the remote temporary directory.
    let uploads: [(local: String, remote: String)]
    let package: DebianPackage
    let node: String
    /// The certificates' directory as the node will resolve it from /etc/understudy/understudy.toml.
    let certificatesDirectory: String
    let secrets: [String]
    let certificates: [String]

    init(configuration: ClusterConfiguration, node: String, package path: String?) async throws {
        self.node = node
        let version = UnderstudyVersion.current
        let local = path ?? "understudy_\(version)_\(DebianPackage.hostArchitecture).deb"
        package = try await DebianPackage(path: local)
        let directory = configuration.certificatesDirectory
        var certificates = ["ca.pem", "\(node).pem"]
        var secrets = ["\(node)-key.pem"]
        if FileManager.default.fileExists(atPath: directory + "/cluster.key") { secrets.append("cluster.key") }
        let missing = (certificates + secrets).filter {
            !FileManager.default.isReadableFile(atPath: directory + "/" + $0)
        }
        guard missing.isEmpty else {
            throw CommandError(
                "\(directory) lacks \(missing.joined(separator: ", ")) for node \(node): run `understudy init --config \(configuration.sourcePath)` first"
            )
        }
        // A relative `certificates` was resolved against the configuration's directory; on the node that is
        // /etc/understudy.
        let configurationDirectory = (configuration.sourcePath as NSString).deletingLastPathComponent
        certificatesDirectory =
            directory.hasPrefix(configurationDirectory + "/")
            ? "/etc/understudy/" + directory.dropFirst(configurationDirectory.count + 1) : directory
        certificates.sort()
        self.certificates = certificates
        self.secrets = secrets
        uploads =
            [(local, "understudy.deb"), (configuration.sourcePath, "understudy.toml")]
            + (certificates + secrets).map { (directory + "/" + $0, $0) }
    }

    /// The script run on the node (as root, by /bin/sh) in `directory`, which it removes at the end.
    func installScript(in directory: String, start: Bool) -> String {
        let quote = RemoteShell.quote
        let certificatesDirectory = quote(self.certificatesDirectory)
        return """
            set -e
            cd \(quote(directory))
            trap 'cd /; rm -rf \(quote(directory))' EXIT
            echo "installing \(package.name) \(package.version)"
            if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./understudy.deb > apt.log 2>&1; then
              echo "apt-get could not install it (its last lines follow); trying dpkg -i"
              tail -5 apt.log
              dpkg -i understudy.deb
            fi
            install -d -m 0755 /etc/understudy
            if [ -e /etc/understudy/understudy.toml ] && ! cmp -s understudy.toml /etc/understudy/understudy.toml; then
              backup=/etc/understudy/understudy.toml.bak-$(date +%Y%m%dT%H%M%S)
              cp -p /etc/understudy/understudy.toml "$backup"
              echo "the configuration there differed: kept as $backup"
            fi
            install -m 0644 understudy.toml /etc/understudy/understudy.toml
            install -d -m 0755 \(certificatesDirectory)
            install -m 0644 \(certificates.map(quote).joined(separator: " ")) \(certificatesDirectory)/
            install -m 0600 \(secrets.map(quote).joined(separator: " ")) \(certificatesDirectory)/
            echo "configuration in /etc/understudy/understudy.toml, certificates in \(self.certificatesDirectory)"
            understudy check-config --config /etc/understudy/understudy.toml
            understudy doctor --config /etc/understudy/understudy.toml --node \(quote(node)) || true
            \(start ? "systemctl enable --now understudy && echo \"understudy is $(systemctl is-active understudy)\"" : "")
            """
    }
}

/// A Debian package file, read with dpkg-deb: its name, version and architecture.
struct DebianPackage {
    let path: String
    let name: String
    let version: String
    let architecture: String

    static var hostArchitecture: String {
        #if arch(arm64)
        "arm64"
        #else
        "amd64"
        #endif
    }

    init(path: String) async throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CommandError(
                "no package at \(path): build it with `make deb` (it is then .build/understudy_\(UnderstudyVersion.current)_\(Self.hostArchitecture).deb), or give --package FILE"
            )
        }
        self.path = path
        // Several fields at once come back as "Field: value" lines.
        let outcome = await ProcessRunner.run(
            executable: "/usr/bin/dpkg-deb", arguments: ["-f", path, "Package", "Version", "Architecture"], timeout: 30)
        var fields: [String: String] = [:]
        for line in outcome.output.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard outcome.succeeded, let name = fields["Package"], let version = fields["Version"],
            let architecture = fields["Architecture"]
        else {
            throw CommandError("\(path) is not a Debian package (dpkg-deb -f: \(outcome.output))")
        }
        self.name = name
        self.version = version
        self.architecture = architecture
        guard name == "understudy" else { throw CommandError("\(path) is the package '\(name)', not understudy") }
    }
}
