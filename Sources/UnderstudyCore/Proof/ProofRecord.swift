import struct Foundation.Date

/// One proof of a group on its standby: the group's services started on a snapshot of the replica in private
/// namespaces that carry the service address, its checks run against them, and everything torn down. `passed` is
/// the verdict; `problem` says why not.
public struct ProofRecord: Codable, Sendable, Equatable {
    /// One start or stop step as it ran.
    public struct Step: Codable, Sendable, Equatable {
        /// "start 1", "stop 2".
        public var name: String
        public var command: String
        public var passed: Bool
        public var seconds: Double
        /// "exited 0", "exited 1", "timed out after 30 s", "not started: ...".
        public var summary: String
        /// What it printed (the first 8 KiB).
        public var output: String

        public init(name: String, command: String, passed: Bool, seconds: Double, summary: String, output: String) {
            self.name = name
            self.command = command
            self.passed = passed
            self.seconds = seconds
            self.summary = summary
            self.output = output
        }
    }

    /// One check's last result in the proof.
    public struct Check: Codable, Sendable, Equatable {
        public var name: String
        public var passed: Bool
        public var message: String

        public init(name: String, passed: Bool, message: String) {
            self.name = name
            self.passed = passed
            self.message = message
        }
    }

    public var id: String
    public var group: String
    public var node: String
    public var startedAt: Date
    /// How long the whole proof took (snapshot, start, checks, stop, teardown).
    public var seconds: Double
    /// Who asked: "schedule", or "asked by root".
    public var reason: String
    public var passed: Bool
    /// Why it did not pass (the first thing that failed).
    public var problem: String?
    /// The replica's age at the snapshot: how far behind the primary the data the services ran on was (the proven
    /// RPO). nil when not known (no sync in step with the primary since the start).
    public var rpoSeconds: Double?
    /// From the first start step until every check passed (the measured RTO); nil when they never all passed.
    public var rtoSeconds: Double?
    /// How the snapshot was made ("hardlink", "reflink", "copy") and how many files it holds.
    public var snapshotMethod: String?
    public var snapshotFiles: Int64
    public var steps: [Step]
    public var checks: [Check]
    /// The primary's configuration files the proof ran on, "PATH version N" (nil or empty: the node's own).
    public var configuration: [String]?

    public init(
        id: String, group: String, node: String, startedAt: Date, seconds: Double = 0, reason: String,
        passed: Bool = false, problem: String? = nil, rpoSeconds: Double? = nil, rtoSeconds: Double? = nil,
        snapshotMethod: String? = nil, snapshotFiles: Int64 = 0, steps: [Step] = [], checks: [Check] = []
    ) {
        self.id = id
        self.group = group
        self.node = node
        self.startedAt = startedAt
        self.seconds = seconds
        self.reason = reason
        self.passed = passed
        self.problem = problem
        self.rpoSeconds = rpoSeconds
        self.rtoSeconds = rtoSeconds
        self.snapshotMethod = snapshotMethod
        self.snapshotFiles = snapshotFiles
        self.steps = steps
        self.checks = checks
    }
}
