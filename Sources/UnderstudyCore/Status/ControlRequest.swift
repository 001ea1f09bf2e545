/// The local control API: one request per line over the node's control socket, answered by one `ControlResponse`
/// line. The CLI speaks it; the HTTP API will too. On the wire each request is one JSON object: the API `version`,
/// the `command` (its name, as `Command` lists them) and the command's fields, e.g.
/// `{"version": 1, "command": "restore", "path": "files/data/a.txt", "at": 1790000000}`.
/// A request that lacks what its command needs, or names an unknown command or a newer version, is refused with a
/// `ControlRequestError` that says what is missing and how the CLI spells it.
public enum ControlRequest: Sendable, Equatable {
    /// The node's status.
    case status
    /// Re-sync now and answer when done (every group this node follows, or `group`).
    case sync(group: String? = nil)
    /// Take `group` over now (`understudy failover`); `force` even while the primary is heard.
    case failover(group: String, force: Bool = false)
    /// The archives of `group`, `share`, or all.
    case archives(group: String? = nil, share: String? = nil)
    /// Take an archive of `group`/`share` now, of series `schedule` ("manual" when nil).
    case archiveNow(group: String? = nil, share: String? = nil, schedule: String? = nil)
    /// Remove archive `archive` of `group`/`share`.
    case archiveRemove(group: String? = nil, share: String? = nil, archive: String)
    /// The kept versions of `path` ("GROUP/SHARE/path", or an absolute path inside a replica).
    case history(path: String)
    /// Restore `path` from `archive` or as it was `at`, into `to` or in place; `overwrite` replaces existing files
    /// (keeping them aside).
    case restore(
        path: String, archive: String? = nil, at: Double? = nil, to: String? = nil, inPlace: Bool = false,
        overwrite: Bool = false)
    /// Hand `group` to its peer (asked on the follower, the serving node runs it); `force` skips waiting for changes
    /// in flight; `dryRun` only says what would happen.
    case switchover(group: String, force: Bool = false, dryRun: Bool = false)
    /// Hand `group` back to its configured primary (a switchover).
    case failback(group: String, force: Bool = false, dryRun: Bool = false)
    /// Open conflicts (of `group`, or all).
    case conflicts(group: String? = nil)
    /// Resolve the conflict at `path` ("GROUP/SHARE/path"), keeping `keep`.
    case conflictResolve(path: String, keep: ConflictKeep)
    /// Let the standby mirror into the non-empty replica of `share` ("GROUP/SHARE").
    case adopt(share: String, mode: AdoptMode)
    /// The console's users (admin).
    case users
    /// Add console user `name` with `role` and `password` (admin).
    case userAdd(name: String, role: ConsoleRole, password: String)
    /// Set the password of user `name` (admin).
    case userPassword(name: String, password: String)
    /// Remove user `name` (admin); the last admin cannot be removed.
    case userRemove(name: String)
    /// The API tokens (admin).
    case tokens
    /// Make an API token `name` with `role`, valid `expiresIn` seconds (nil: until revoked) (admin).
    case tokenCreate(name: String, role: ConsoleRole, expiresIn: Double? = nil)
    /// Revoke the API token `id` (admin).
    case tokenRevoke(id: String)
    /// Turn `group`'s maintenance on or off: automatic failover is held meanwhile, on every node.
    case maintenance(group: String, on: Bool)
    /// Re-read and validate the configuration file, apply what the running node takes in place, and name what waits
    /// for a restart (`understudy reload`, the same as SIGHUP). A file with problems is refused; the running
    /// configuration stays.
    case reload
    /// Prove `group` now on its standby (`understudy verify GROUP`): its services on a snapshot of the replica, its
    /// checks against them; answered when the proof ends.
    case verify(group: String)
    /// The recorded proofs of `group` (all when nil), newest first, at most `limit` (`understudy verify --history`).
    case proofs(group: String? = nil, limit: Int = 20)
    /// The versions of `group`'s tracked configuration files (of `path` only when given), newest first, at most
    /// `limit` (`understudy config history GROUP [FILE]`).
    case configHistory(group: String, path: String? = nil, limit: Int = 50)
    /// The differences of `path` between two versions (`from`: the one before `to`; `to`: the newest), as a unified
    /// diff (`understudy config diff GROUP FILE`).
    case configDiff(group: String, path: String, from: Int? = nil, to: Int? = nil)
    /// Writes version `version` of `path` back on the group's primary, itself recorded as a new version
    /// (`understudy config rollback GROUP FILE --to VERSION`).
    case configRollback(group: String, path: String, version: Int)

    /// The version of the API this build speaks.
    public static let version = 1

    /// The commands' names on the wire.
    public enum Command: String, Codable, Sendable, CaseIterable {
        case status, sync, failover, archives
        case archiveNow = "archive-now"
        case archiveRemove = "archive-remove"
        case history, restore, switchover, failback, conflicts
        case conflictResolve = "conflict-resolve"
        case adopt, users
        case userAdd = "user-add"
        case userPassword = "user-passwd"
        case userRemove = "user-remove"
        case tokens
        case tokenCreate = "token-create"
        case tokenRevoke = "token-revoke"
        case maintenance, reload, verify, proofs
        case configHistory = "config-history"
        case configDiff = "config-diff"
        case configRollback = "config-rollback"
    }

    public var command: Command {
        switch self {
        case .status: .status
        case .sync: .sync
        case .failover: .failover
        case .archives: .archives
        case .archiveNow: .archiveNow
        case .archiveRemove: .archiveRemove
        case .history: .history
        case .restore: .restore
        case .switchover: .switchover
        case .failback: .failback
        case .conflicts: .conflicts
        case .conflictResolve: .conflictResolve
        case .adopt: .adopt
        case .users: .users
        case .userAdd: .userAdd
        case .userPassword: .userPassword
        case .userRemove: .userRemove
        case .tokens: .tokens
        case .tokenCreate: .tokenCreate
        case .tokenRevoke: .tokenRevoke
        case .maintenance: .maintenance
        case .reload: .reload
        case .verify: .verify
        case .proofs: .proofs
        case .configHistory: .configHistory
        case .configDiff: .configDiff
        case .configRollback: .configRollback
        }
    }
}

/// A control request that cannot be taken as it is; nothing was done.
public typealias ControlRequestError = CodedFailure<ControlRequestErrorCode>

public enum ControlRequestErrorCode: String, Sendable {
    /// Not JSON, an unknown command, or a command without what it needs.
    case badRequest = "bad-request"
    /// A request of a newer API version than this daemon speaks.
    case unsupportedVersion = "unsupported-version"
}
