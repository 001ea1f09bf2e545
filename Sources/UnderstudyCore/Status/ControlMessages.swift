/// The local control API: one JSON object per line over the node's control socket. The CLI speaks it now;
/// the web console will speak it too.
public struct ControlRequest: Codable, Sendable, Equatable {
    public enum Command: String, Codable, Sendable {
        case status
        /// Re-sync now and answer when done (all of this node's standby groups, or `group`).
        case sync
        /// Take over `group` now (`understudy failover`); `force` even while the primary is heard.
        case failover
        /// List archives (of `group`, `share`, or all).
        case archives
        /// Take an archive of `group`/`share` now, of series `schedule` (default "manual").
        case archiveNow = "archive-now"
        /// Remove archive `archive` of `group`/`share`.
        case archiveRemove = "archive-remove"
        /// Kept versions of `path`.
        case history
        /// Restore `path` from `archive` or as it was `at`, into `to` or `inPlace`.
        case restore
        /// Hand `group` to its peer now (asked on the follower, the serving node runs it); `force` skips waiting for changes in flight.
        case switchover
        /// Hand `group` back to its configured primary (a switchover); `dryRun` only says what would happen.
        case failback
        /// Open conflicts (of `group`, or all).
        case conflicts
        /// Resolve the conflict at `path` ("GROUP/SHARE/path"), keeping `keep`: local, remote or both.
        case conflictResolve = "conflict-resolve"
        /// Let the standby mirror into the non-empty replica of `path` ("GROUP/SHARE"), `keep`: "keep" (mirror over what
        /// is there) or "move-aside" (move it to a sibling directory first).
        case adopt
    }
    public var command: Command
    public var group: String?
    public var force: Bool?
    public var share: String?
    /// A path: "GROUP/SHARE/path/in/share", or an absolute path inside a replica.
    public var path: String?
    public var archive: String?
    public var schedule: String?
    /// Seconds since 1970.
    public var at: Double?
    public var to: String?
    public var inPlace: Bool?
    public var dryRun: Bool?
    public var keep: String?

    public init(
        command: Command, group: String? = nil, force: Bool? = nil, share: String? = nil, path: String? = nil,
        archive: String? = nil, schedule: String? = nil, at: Double? = nil, to: String? = nil, inPlace: Bool? = nil,
        dryRun: Bool? = nil, keep: String? = nil
    ) {
        self.dryRun = dryRun
        self.keep = keep
        self.command = command
        self.group = group
        self.force = force
        self.share = share
        self.path = path
        self.archive = archive
        self.schedule = schedule
        self.at = at
        self.to = to
        self.inPlace = inPlace
    }
}

public struct SyncResult: Codable, Sendable, Equatable {
    public var group: String
    public var share: String
    public var ok: Bool
    public var seconds: Double
    public var plan: SyncPlanSummary?
    public var bytesReceived: Int64
    public var error: String?

    public init(
        group: String, share: String, ok: Bool, seconds: Double, plan: SyncPlanSummary?, bytesReceived: Int64,
        error: String?
    ) {
        self.group = group
        self.share = share
        self.ok = ok
        self.seconds = seconds
        self.plan = plan
        self.bytesReceived = bytesReceived
        self.error = error
    }
}

public struct ControlResponse: Codable, Sendable, Equatable {
    public var ok: Bool
    public var error: String?
    /// The stable code of `error` when the part that refused names one (`CodedError`): what a program tests.
    public var code: String?
    public var status: NodeStatusReport?
    public var syncResults: [SyncResult]?
    /// What a command did, for people (`failover`).
    public var message: String?
    public var archives: [ArchiveInfo]?
    public var history: [HistoryVersion]?
    public var restore: RestoreReport?
    public var conflicts: [ConflictInfo]?

    public init(
        ok: Bool, error: String? = nil, status: NodeStatusReport? = nil, syncResults: [SyncResult]? = nil,
        message: String? = nil,
        archives: [ArchiveInfo]? = nil, history: [HistoryVersion]? = nil, restore: RestoreReport? = nil,
        conflicts: [ConflictInfo]? = nil
    ) {
        self.conflicts = conflicts
        self.message = message
        self.archives = archives
        self.history = history
        self.restore = restore
        self.ok = ok
        self.error = error
        self.status = status
        self.syncResults = syncResults
    }
}

extension ControlResponse {
    /// A refusal or failure: the error's message and, for a `CodedError`, its stable code.
    public static func failure(_ error: any Error) -> ControlResponse {
        var response = ControlResponse(ok: false, error: (error as? any CodedError)?.message ?? "\(error)")
        response.code = (error as? any CodedError)?.errorCode
        return response
    }
}
