public struct SyncResult: Codable, Sendable, Equatable {
    public var group: String
    public var share: String
    public var ok: Bool
    public var seconds: Double
    public var plan: SyncPlanSummary?
    public var bytesReceived: Int64
    public var error: String?
    /// The stable code of a failed sync: `unknown-share`, `replica-not-adopted`, `apply-failed` (some files could not
    /// be applied; they are retried), `peer-unreachable`, `disconnected`, or the code the serving node reported.
    public var code: String?

    public init(
        group: String, share: String, ok: Bool, seconds: Double, plan: SyncPlanSummary?, bytesReceived: Int64,
        error: String?, code: String? = nil
    ) {
        self.group = group
        self.share = share
        self.ok = ok
        self.seconds = seconds
        self.plan = plan
        self.bytesReceived = bytesReceived
        self.error = error
        self.code = code
    }
}
