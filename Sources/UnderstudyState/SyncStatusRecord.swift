import Foundation

/// Progress and health of the mirror of one share, as last saved by the replication side.
public struct SyncStatusRecord: Sendable, Equatable, Codable {
    /// The share key, "<group>/<share>".
    public var share: String
    /// A short word the replication side chooses, e.g. "scanning", "syncing", "in-sync", "failed".
    public var state: String
    public var filesTotal: Int64
    public var filesDone: Int64
    public var bytesTotal: Int64
    public var bytesDone: Int64
    public var bytesSent: Int64
    public var bytesReceived: Int64
    public var lastSyncAt: Date?
    public var lastError: String?
    public var updatedAt: Date

    public init(
        share: String, state: String,
        filesTotal: Int64 = 0, filesDone: Int64 = 0, bytesTotal: Int64 = 0, bytesDone: Int64 = 0,
        bytesSent: Int64 = 0, bytesReceived: Int64 = 0,
        lastSyncAt: Date? = nil, lastError: String? = nil, updatedAt: Date
    ) {
        self.share = share
        self.state = state
        self.filesTotal = filesTotal
        self.filesDone = filesDone
        self.bytesTotal = bytesTotal
        self.bytesDone = bytesDone
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
        self.lastSyncAt = lastSyncAt
        self.lastError = lastError
        self.updatedAt = updatedAt
    }
}
