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
