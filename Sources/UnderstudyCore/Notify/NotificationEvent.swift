/// Something an administrator must hear about, whatever the channel (email, webhook, command).
/// Times are seconds since 1970 (wall clock, for people); the core never reads a clock, the caller stamps it.
public struct NotificationEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case linkDown = "link-down"
        case linkUp = "link-up"
        case checkFailing = "check-failing"
        case checkRecovered = "check-recovered"
        case primaryFailed = "primary-failed"
        case takeoverStarted = "takeover-started"
        case takeoverFinished = "takeover-finished"
        case takeoverFailed = "takeover-failed"
        case stepDown = "step-down"
        case replicationStalled = "replication-stalled"
        case replicationResumed = "replication-resumed"
        case archiveFailed = "archive-failed"
        case archiveRecovered = "archive-recovered"
        /// A rejoin kept a file in two versions in the serving tree.
        case conflict
        /// The mirror of a group moved to another link (its preferred one failed), or back.
        case mirrorMoved = "mirror-moved"
        /// A replica's file system ran out of space: its group's mirror stopped (others go on).
        case replicaFull = "replica-full"
        /// ...and it has room again.
        case replicaSpaceRecovered = "replica-space-recovered"
        /// A proof of readiness failed on the standby: a takeover now would likely fail the same way.
        case proofFailed = "proof-failed"
        /// ...and a later one passed.
        case proofRecovered = "proof-recovered"
    }

    public enum Severity: String, Sendable, Comparable {
        case info, warning, critical

        private var rank: Int {
            switch self {
            case .info: 0
            case .warning: 1
            case .critical: 2
            }
        }

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    public var kind: Kind
    public var severity: Severity
    /// The node that reports it.
    public var node: String
    /// The group it concerns, if any (a link concerns the node pair, not a group).
    public var group: String?
    /// What it is about within its kind: a link's name, a check's name, a share; part of the repeat key.
    public var topic: String
    /// One line, fit for an email subject: "beta took over group web (epoch 3) in 0.42 s".
    public var summary: String
    /// Further lines: timings of each step, the last heartbeat's age, a script's output.
    public var detail: String
    public var time: Double

    public init(
        kind: Kind, severity: Severity, node: String, group: String? = nil, topic: String = "",
        summary: String, detail: String = "", time: Double
    ) {
        self.kind = kind
        self.severity = severity
        self.node = node
        self.group = group
        self.topic = topic
        self.summary = summary
        self.detail = detail
        self.time = time
    }

    /// Events with the same key within `repeat_after` are one event told once.
    public var repeatKey: String {
        "\(kind.rawValue)|\(group ?? "")|\(topic)"
    }
}
