/// The live-mirror figures of one share as its capture (primary) or its sync loop (standby) last set them.
public struct LiveFigures: Sendable, Equatable {
    public var changesPending: Int64
    /// Monotonic seconds (the daemon's clock) of the oldest change not yet durable on the replica.
    public var oldestPendingAt: Double?
    public var watchedDirectories: Int?
    public var captureProblem: String?
    /// "fanotify" or "inotify" while changes are captured.
    public var captureBackend: String?

    public init(
        changesPending: Int64, oldestPendingAt: Double?, watchedDirectories: Int? = nil, captureProblem: String? = nil,
        captureBackend: String? = nil
    ) {
        self.captureBackend = captureBackend
        self.changesPending = changesPending
        self.oldestPendingAt = oldestPendingAt
        self.watchedDirectories = watchedDirectories
        self.captureProblem = captureProblem
    }
}
