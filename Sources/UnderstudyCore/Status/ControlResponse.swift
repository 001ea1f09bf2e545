/// The answer to a `ControlRequest`: one case per kind of answer. On the wire one flat JSON object: the API
/// `version`, `ok`, the `answer`'s kind and its fields (`error` and `code` on a refusal).
public enum ControlResponse: Sendable, Equatable {
    /// The node's status (`status`).
    case status(NodeStatusReport)
    /// A sync ran (`sync`, and after an `adopt`): each share's result, the status after it (`sync`), what was done
    /// before it (`adopt`). Not ok when a share failed.
    case synced([SyncResult], status: NodeStatusReport? = nil, message: String? = nil)
    /// The command did what it says (`failover`, `switchover`, `archive-remove`, `adopt`, `conflict-resolve`).
    case done(String)
    /// A switchover's or failback's `--dry-run`: what it would do, whether it would be taken now, the open conflicts.
    case plan(String, ready: Bool, conflicts: [ConflictInfo])
    case archives([ArchiveInfo])
    case history([HistoryVersion])
    case restored(RestoreReport)
    case conflicts([ConflictInfo])
    /// Refused or failed: nothing changed unless the message says so. `code` is stable (`CodedError`).
    case refused(String, code: String? = nil)
    /// The console's users (`users`, and after a change to them).
    case users([UserInfo])
    /// The API tokens (`tokens`, `token-revoke`).
    case tokens([TokenInfo])
    /// A token was made (`token-create`): its secret is shown this once, never again.
    case tokenCreated(TokenInfo, secret: String)
    /// The configuration was re-read (`reload`): what was applied and what waits for a restart.
    case reloaded(ReloadReport)
    /// Proofs of readiness, newest first (`verify`: the one just made, ok when it passed; `proofs`: the record).
    case proofs([ProofRecord], asked: Bool)
    /// Versions of tracked configuration files, newest first (`config-history`).
    case configVersions([ConfigVersionSummary])

    /// A refusal or failure: the error's message and, for a `CodedError`, its stable code.
    public static func failure(_ error: any Error) -> ControlResponse {
        if let coded = error as? any CodedError { return .refused(coded.message, code: coded.errorCode) }
        return .refused("\(error)")
    }

    /// The command did what was asked (a dry run: it would be taken now).
    public var ok: Bool {
        switch self {
        case .refused: false
        case .synced(let results, _, _): results.allSatisfy(\.ok)
        case .plan(_, let ready, _): ready
        case .proofs(let proofs, let asked): !asked || proofs.allSatisfy(\.passed)
        default: true
        }
    }

    /// Why it was refused or failed (a sync: the first share's error).
    public var error: String? {
        switch self {
        case .refused(let message, _): message
        case .synced(let results, _, _): results.compactMap(\.error).first
        case .proofs(let proofs, true): proofs.first { !$0.passed }.map { $0.problem ?? "the proof failed" }
        default: nil
        }
    }

    /// The stable code of the refusal (of a sync: of the first share that failed), when its part names one.
    public var code: String? {
        switch self {
        case .refused(_, let code): return code
        case .synced(let results, _, _): return results.first { !$0.ok }?.code
        default: return nil
        }
    }

    /// What a command did, or would do, for people.
    public var message: String? {
        switch self {
        case .done(let message), .plan(let message, _, _): message
        case .synced(_, _, let message): message
        case .reloaded(let report): report.lines.joined(separator: "\n")
        default: nil
        }
    }

    public var status: NodeStatusReport? {
        switch self {
        case .status(let report): report
        case .synced(_, let report, _): report
        default: nil
        }
    }

    public var syncResults: [SyncResult]? {
        if case .synced(let results, _, _) = self { return results }
        return nil
    }

    public var archives: [ArchiveInfo]? {
        if case .archives(let archives) = self { return archives }
        return nil
    }

    public var history: [HistoryVersion]? {
        if case .history(let versions) = self { return versions }
        return nil
    }

    public var restore: RestoreReport? {
        if case .restored(let report) = self { return report }
        return nil
    }

    public var reload: ReloadReport? {
        if case .reloaded(let report) = self { return report }
        return nil
    }

    public var proofs: [ProofRecord]? {
        if case .proofs(let proofs, _) = self { return proofs }
        return nil
    }

    public var configVersions: [ConfigVersionSummary]? {
        if case .configVersions(let versions) = self { return versions }
        return nil
    }

    public var conflicts: [ConflictInfo]? {
        switch self {
        case .conflicts(let conflicts), .plan(_, _, let conflicts): conflicts
        default: nil
        }
    }
}

extension ControlResponse: Codable {
    private enum Key: String, CodingKey {
        case version, ok, answer, error, code, status, syncResults, message, ready, archives, history, restore,
            conflicts, users, tokens, token, secret, reload, proofs, asked, configVersions
    }

    private enum Answer: String, Codable {
        case status, synced, done, plan, archives, history, restored, conflicts, refused, users, tokens, reloaded,
            proofs
        case configVersions = "config-versions"
        case tokenCreated = "token-created"
    }

    public func encode(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: Key.self)
        try fields.encode(ControlRequest.version, forKey: .version)
        try fields.encode(ok, forKey: .ok)
        switch self {
        case .status(let report):
            try fields.encode(Answer.status, forKey: .answer)
            try fields.encode(report, forKey: .status)
        case .synced(let results, let report, let message):
            try fields.encode(Answer.synced, forKey: .answer)
            try fields.encode(results, forKey: .syncResults)
            try fields.encodeIfPresent(report, forKey: .status)
            try fields.encodeIfPresent(message, forKey: .message)
            try fields.encodeIfPresent(error, forKey: .error)
            try fields.encodeIfPresent(code, forKey: .code)
        case .done(let message):
            try fields.encode(Answer.done, forKey: .answer)
            try fields.encode(message, forKey: .message)
        case .plan(let message, let ready, let conflicts):
            try fields.encode(Answer.plan, forKey: .answer)
            try fields.encode(message, forKey: .message)
            try fields.encode(ready, forKey: .ready)
            try fields.encode(conflicts, forKey: .conflicts)
        case .archives(let archives):
            try fields.encode(Answer.archives, forKey: .answer)
            try fields.encode(archives, forKey: .archives)
        case .history(let versions):
            try fields.encode(Answer.history, forKey: .answer)
            try fields.encode(versions, forKey: .history)
        case .restored(let report):
            try fields.encode(Answer.restored, forKey: .answer)
            try fields.encode(report, forKey: .restore)
        case .conflicts(let conflicts):
            try fields.encode(Answer.conflicts, forKey: .answer)
            try fields.encode(conflicts, forKey: .conflicts)
        case .refused(let message, let code):
            try fields.encode(Answer.refused, forKey: .answer)
            try fields.encode(message, forKey: .error)
            try fields.encodeIfPresent(code, forKey: .code)
        case .users(let users):
            try fields.encode(Answer.users, forKey: .answer)
            try fields.encode(users, forKey: .users)
        case .tokens(let tokens):
            try fields.encode(Answer.tokens, forKey: .answer)
            try fields.encode(tokens, forKey: .tokens)
        case .tokenCreated(let token, let secret):
            try fields.encode(Answer.tokenCreated, forKey: .answer)
            try fields.encode(token, forKey: .token)
            try fields.encode(secret, forKey: .secret)
        case .reloaded(let report):
            try fields.encode(Answer.reloaded, forKey: .answer)
            try fields.encode(report, forKey: .reload)
            try fields.encode(message, forKey: .message)
        case .proofs(let proofs, let asked):
            try fields.encode(Answer.proofs, forKey: .answer)
            try fields.encode(proofs, forKey: .proofs)
            try fields.encode(asked, forKey: .asked)
            try fields.encodeIfPresent(error, forKey: .error)
        case .configVersions(let versions):
            try fields.encode(Answer.configVersions, forKey: .answer)
            try fields.encode(versions, forKey: .configVersions)
        }
    }

    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: Key.self)
        guard let answer = try fields.decodeIfPresent(Answer.self, forKey: .answer) else {
            self = try Self.unversioned(fields)
            return
        }
        switch answer {
        case .status:
            self = .status(try fields.decode(NodeStatusReport.self, forKey: .status))
        case .synced:
            self = .synced(
                try fields.decode([SyncResult].self, forKey: .syncResults),
                status: try fields.decodeIfPresent(NodeStatusReport.self, forKey: .status),
                message: try fields.decodeIfPresent(String.self, forKey: .message))
        case .done:
            self = .done(try fields.decode(String.self, forKey: .message))
        case .plan:
            self = .plan(
                try fields.decode(String.self, forKey: .message), ready: try fields.decode(Bool.self, forKey: .ready),
                conflicts: try fields.decode([ConflictInfo].self, forKey: .conflicts))
        case .archives:
            self = .archives(try fields.decode([ArchiveInfo].self, forKey: .archives))
        case .history:
            self = .history(try fields.decode([HistoryVersion].self, forKey: .history))
        case .restored:
            self = .restored(try fields.decode(RestoreReport.self, forKey: .restore))
        case .conflicts:
            self = .conflicts(try fields.decode([ConflictInfo].self, forKey: .conflicts))
        case .refused:
            self = .refused(
                try fields.decode(String.self, forKey: .error),
                code: try fields.decodeIfPresent(String.self, forKey: .code))
        case .users:
            self = .users(try fields.decode([UserInfo].self, forKey: .users))
        case .tokens:
            self = .tokens(try fields.decode([TokenInfo].self, forKey: .tokens))
        case .tokenCreated:
            self = .tokenCreated(
                try fields.decode(TokenInfo.self, forKey: .token),
                secret: try fields.decode(String.self, forKey: .secret))
        case .reloaded:
            self = .reloaded(try fields.decode(ReloadReport.self, forKey: .reload))
        case .proofs:
            self = .proofs(
                try fields.decode([ProofRecord].self, forKey: .proofs),
                asked: try fields.decodeIfPresent(Bool.self, forKey: .asked) ?? false)
        case .configVersions:
            self = .configVersions(try fields.decode([ConfigVersionSummary].self, forKey: .configVersions))
        }
    }

    /// The answer of a daemon older than the versioned API (one object with `ok` and whichever fields applied):
    /// a command line updated before its daemon still reads it.
    private static func unversioned(_ fields: KeyedDecodingContainer<Key>) throws -> ControlResponse {
        let message = try fields.decodeIfPresent(String.self, forKey: .message)
        guard try fields.decodeIfPresent(Bool.self, forKey: .ok) == true else {
            let error = try fields.decodeIfPresent(String.self, forKey: .error) ?? message ?? "refused by the daemon"
            return .refused(error, code: try fields.decodeIfPresent(String.self, forKey: .code))
        }
        if let results = try fields.decodeIfPresent([SyncResult].self, forKey: .syncResults) {
            return .synced(
                results, status: try fields.decodeIfPresent(NodeStatusReport.self, forKey: .status), message: message)
        }
        if let report = try fields.decodeIfPresent(NodeStatusReport.self, forKey: .status) { return .status(report) }
        if let archives = try fields.decodeIfPresent([ArchiveInfo].self, forKey: .archives) {
            return .archives(archives)
        }
        if let versions = try fields.decodeIfPresent([HistoryVersion].self, forKey: .history) {
            return .history(versions)
        }
        if let report = try fields.decodeIfPresent(RestoreReport.self, forKey: .restore) { return .restored(report) }
        if let conflicts = try fields.decodeIfPresent([ConflictInfo].self, forKey: .conflicts) {
            return message.map { .plan($0, ready: true, conflicts: conflicts) } ?? .conflicts(conflicts)
        }
        return .done(message ?? "done")
    }
}
