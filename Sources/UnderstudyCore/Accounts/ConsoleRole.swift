/// What a console user or API token may do. `admin`: everything, users and tokens included; `operator`: every
/// action (sync, switchover, restore, ...) but no user or token management; `viewer`: read only, and never a secret.
public enum ConsoleRole: String, Codable, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case viewer
    case `operator`
    case admin

    public var description: String { rawValue }

    /// viewer < operator < admin: each may do what the ones below it may.
    public static func < (lhs: ConsoleRole, rhs: ConsoleRole) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// "admin, operator or viewer", for messages.
    public static let names = "admin, operator or viewer"
}

extension ControlRequest {
    /// The least role that may ask this: reading is for every role, acting for operators, users and tokens for
    /// admins. A configuration file's content (`config-diff`: passwords in smb.conf) is read by operators, and
    /// written back (`config-rollback`) by admins.
    public var requiredRole: ConsoleRole {
        switch self {
        case .status, .archives, .history, .conflicts, .proofs, .configHistory: .viewer
        case .sync, .failover, .archiveNow, .archiveRemove, .restore, .switchover, .failback, .conflictResolve, .adopt,
            .maintenance, .verify, .configDiff:
            .operator
        case .users, .userAdd, .userPassword, .userRemove, .tokens, .tokenCreate, .tokenRevoke, .reload,
            .configRollback:
            .admin
        }
    }

    /// Whether it changes anything (and so is recorded in the event log with who asked).
    public var changesState: Bool {
        switch self {
        case .status, .archives, .history, .conflicts, .users, .tokens, .proofs, .configHistory, .configDiff: false
        case .switchover(_, _, let dryRun), .failback(_, _, let dryRun): !dryRun
        default: true
        }
    }
}
