import struct Foundation.Date

/// One archive as `understudy archives` shows it.
public struct ArchiveInfo: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Being made; after a crash, found so at start and marked `interrupted`.
        case making
        case complete
        /// A run that stopped half-way (crash, kill, error): its partial tree was removed.
        case interrupted
        case failed
        /// Being removed (retention or `archive remove`); gone from `archives/`, deleted bit by bit from `trash/`.
        case pruning
    }

    public var id: String
    public var group: String
    public var share: String
    public var series: String
    public var takenAt: Date
    public var seconds: Double?
    public var files: Int64
    /// Sum of the files' sizes.
    public var bytes: Int64
    /// Disk space only this archive holds (files no other archive and not the replica share): what removing it
    /// frees. Nil when not measured (archives made with reflinks share extents, not inodes).
    public var exclusiveBytes: Int64?
    public var state: State
    /// "hardlink", "reflink" or "copy".
    public var method: String?
    /// The subtrees archived; empty: the whole share.
    public var paths: [String]
    public var error: String?

    public init(
        id: String, group: String, share: String, series: String, takenAt: Date, seconds: Double?, files: Int64,
        bytes: Int64,
        exclusiveBytes: Int64? = nil, state: State, method: String?, paths: [String], error: String? = nil
    ) {
        self.id = id
        self.group = group
        self.share = share
        self.series = series
        self.takenAt = takenAt
        self.seconds = seconds
        self.files = files
        self.bytes = bytes
        self.exclusiveBytes = exclusiveBytes
        self.state = state
        self.method = method
        self.paths = paths
        self.error = error
    }
}

/// One kept prior version of a replica file (`understudy history`).
public struct HistoryVersion: Codable, Sendable, Equatable {
    public var id: Int64
    public var group: String
    public var share: String
    public var path: String
    /// When this version arrived on the replica (nil: unknown).
    public var since: Date?
    /// When it was replaced or deleted (the end of its time as the replica's version).
    public var until: Date
    /// "replaced", "deleted", "moved" (renamed away) or "restored-over" (an in-place restore replaced it).
    public var reason: String
    public var size: Int64
    public var modified: Date
    /// SHA-256, hex; nil when the replica had not hashed it.
    public var sha256: String?

    public init(
        id: Int64, group: String, share: String, path: String, since: Date?, until: Date, reason: String, size: Int64,
        modified: Date, sha256: String?
    ) {
        self.id = id
        self.group = group
        self.share = share
        self.path = path
        self.since = since
        self.until = until
        self.reason = reason
        self.size = size
        self.modified = modified
        self.sha256 = sha256
    }
}

/// What `understudy restore` did.
public struct RestoreReport: Codable, Sendable, Equatable {
    /// Where the files went.
    public var destination: String
    /// What they came from: "archive daily-20261122T020000Z" or "history as of 2026-11-22T10:00:00Z".
    public var source: String
    public var files: Int64
    public var bytes: Int64
    /// Live files an in-place restore replaced; each is in the history, so the restore can itself be undone.
    public var replaced: Int64
    public var notes: [String]

    public init(destination: String, source: String, files: Int64, bytes: Int64, replaced: Int64, notes: [String]) {
        self.destination = destination
        self.source = source
        self.files = files
        self.bytes = bytes
        self.replaced = replaced
        self.notes = notes
    }
}

/// Archives and history of one share, in `understudy status`.
public struct ShareArchiveStatus: Codable, Sendable, Equatable {
    public var archives: Int
    public var lastArchiveID: String?
    public var lastArchiveAt: Date?
    /// The next scheduled run of each series.
    public var nextRuns: [String: Date]
    /// The history window in seconds; nil when history is off.
    public var historyWindowSeconds: Double?
    public var historyVersions: Int64
    public var historyBytes: Int64
    public var lastError: String?

    public init(
        archives: Int = 0, lastArchiveID: String? = nil, lastArchiveAt: Date? = nil, nextRuns: [String: Date] = [:],
        historyWindowSeconds: Double? = nil, historyVersions: Int64 = 0, historyBytes: Int64 = 0,
        lastError: String? = nil
    ) {
        self.archives = archives
        self.lastArchiveID = lastArchiveID
        self.lastArchiveAt = lastArchiveAt
        self.nextRuns = nextRuns
        self.historyWindowSeconds = historyWindowSeconds
        self.historyVersions = historyVersions
        self.historyBytes = historyBytes
        self.lastError = lastError
    }
}
