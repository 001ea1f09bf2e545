import UnderstudyCore

/// What the daemon tells `understudy proof-run` to do inside the proof's namespaces: the layers to mount, the address
/// to carry, the steps and checks to run. Written as JSON to a file the inside process reads.
package struct ProofPlan: Codable, Sendable, Equatable {
    /// An overlay on `target`: `lower` read-only underneath, writes into `upper` (`work` is the overlay's scratch).
    package struct Layer: Codable, Sendable, Equatable {
        package var target: String
        package var lower: String
        package var upper: String
        package var work: String

        package init(target: String, lower: String, upper: String, work: String) {
            self.target = target
            self.lower = lower
            self.upper = upper
            self.work = work
        }

        /// The overlay's mount options; nil when a path holds a character the options cannot carry.
        package var options: String? {
            let paths = [lower, upper, work]
            guard !paths.contains(where: { $0.contains(",") || $0.contains(":") || $0.contains("\\") }) else {
                return nil
            }
            return "lowerdir=\(lower),upperdir=\(upper),workdir=\(work)"
        }
    }

    /// A file bound over another: a file of the primary's configuration over the node's own.
    package struct Bind: Codable, Sendable, Equatable {
        package var source: String
        package var target: String

        package init(source: String, target: String) {
            self.source = source
            self.target = target
        }
    }

    /// A group check, as the inside process runs it.
    package struct Check: Codable, Sendable, Equatable {
        package var name: String
        package var type: String
        package var target: String
        package var expectStatus: Int?
        package var expectBody: String?
        package var insecure: Bool
        /// An SMTP check's test delivery (`mail_to`).
        package var mailTo: String?
        package var timeout: Double
        package var interval: Double

        package init(_ check: CheckConfiguration) {
            name = check.name
            timeout = check.timeout.seconds
            interval = check.interval.seconds
            insecure = false
            type = check.probe.typeName
            target = check.probe.target
            switch check.probe {
            case .tcp: break
            case .http(_, let status, let body, let skip):
                expectStatus = status
                expectBody = body
                insecure = skip
            case .file(_, let body): expectBody = body
            case .command: break
            case .smtp(_, let recipient): mailTo = recipient
            }
        }

        /// The check again; nil when this version cannot run it.
        package var configuration: CheckConfiguration? {
            let probe: CheckConfiguration.Probe
            switch type {
            case "tcp":
                guard let address = try? PeerAddress.parse(target) else { return nil }
                probe = .tcp(address)
            case "http", "https":
                probe = .http(url: target, expectStatus: expectStatus, expectBody: expectBody, insecure: insecure)
            case "file": probe = .file(path: target, expectBody: expectBody)
            case "command": probe = .command(target)
            case "smtp":
                guard let address = try? PeerAddress.parse(target) else { return nil }
                probe = .smtp(address, mailTo: mailTo)
            default: return nil
            }
            return CheckConfiguration(
                name: name, probe: probe, interval: ConfigDuration(seconds: interval),
                timeout: ConfigDuration(seconds: timeout))
        }
    }

    /// What a proof hides (an empty directory over it): the service managers' sockets, through which a step would
    /// start the real service outside the proof.
    package static let hidden = ["/run/systemd", "/run/dbus"]
    /// Given an empty tmpfs of the proof's own (unless a layer lies below): what services use as scratch space.
    package static let scratchDirectories = ["/tmp", "/var/tmp", "/dev/shm"]

    package var group: String
    package var node: String
    package var peer: String
    package var layers: [Layer]
    /// Bound after the layers, over files that exist: the primary's configuration files (read-only in the proof).
    package var binds: [Bind] = []
    /// The primary's configuration files laid in, "PATH version N" (for the record).
    package var configurationVersions: [String] = []
    /// The group's service address ("10.0.0.100/24"), put on the namespace's loopback interface.
    package var serviceAddress: String?
    /// Run before the start steps: the service's own syntax check of its configuration (a recipe's). A failure
    /// fails the proof before anything starts.
    package var syntaxCheck: String?
    package var start: [String]
    package var stop: [String]
    package var scriptTimeout: Double
    package var checks: [Check]
    /// From the first start step, how long every check has to pass.
    package var timeout: Double

    package init(
        group: String, node: String, peer: String, layers: [Layer], serviceAddress: String?, start: [String],
        stop: [String], scriptTimeout: Double, checks: [Check], timeout: Double, syntaxCheck: String? = nil
    ) {
        self.group = group
        self.node = node
        self.peer = peer
        self.layers = layers
        self.serviceAddress = serviceAddress
        self.start = start
        self.syntaxCheck = syntaxCheck
        self.stop = stop
        self.scriptTimeout = scriptTimeout
        self.checks = checks
        self.timeout = timeout
    }

    /// What the steps see, as at a takeover, and `UNDERSTUDY_PROOF=1`.
    package var environment: [String: String] {
        var environment = [
            "UNDERSTUDY_GROUP": group, "UNDERSTUDY_NODE": node, "UNDERSTUDY_PEER": peer, "UNDERSTUDY_PROOF": "1",
            "UNDERSTUDY_INTERFACE": "lo",
        ]
        if let serviceAddress { environment["UNDERSTUDY_SERVICE_ADDRESS"] = serviceAddress }
        return environment
    }
}

/// What `understudy proof-run` reports: the steps, the checks' last results, the RTO, or the first problem.
package struct ProofOutcome: Codable, Sendable, Equatable {
    package var steps: [ProofRecord.Step] = []
    package var checks: [ProofRecord.Check] = []
    package var rtoSeconds: Double?
    package var problem: String?

    package init(problem: String? = nil) { self.problem = problem }

    /// The line `proof-run` prints its outcome on, after this marker (whatever else reaches its output comes before).
    package static let marker = "understudy-proof-outcome: "
}
