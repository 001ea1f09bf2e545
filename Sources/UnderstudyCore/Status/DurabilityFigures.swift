/// What a node asked to be made durable since it started, and how many rounds of work did it: the shares written at
/// the same time share a `syncfs` of their file system, and their resume points one database commit (group commit).
public struct DurabilityFigures: Codable, Sendable, Equatable {
    /// `syncfs` asked for by the replicas' writers (a batch of files, a sync's last steps).
    public var syncfsRequests: Int
    /// `syncfs` calls made for them.
    public var syncfsCalls: Int
    /// Resume points saved (one per share at the end of each sync that had a journal point).
    public var resumePointSaves: Int
    /// Database commits made for them.
    public var resumePointCommits: Int

    public init(syncfsRequests: Int, syncfsCalls: Int, resumePointSaves: Int, resumePointCommits: Int) {
        self.syncfsRequests = syncfsRequests
        self.syncfsCalls = syncfsCalls
        self.resumePointSaves = resumePointSaves
        self.resumePointCommits = resumePointCommits
    }
}
