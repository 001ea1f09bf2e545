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
        conflicts: [ConflictInfo]? = nil, code: String? = nil
    ) {
        self.code = code
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
