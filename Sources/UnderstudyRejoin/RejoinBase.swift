import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyReplication
import UnderstudySession

/// The base of a rejoin: this node's tree of each share of a group at the moment it took the group over — the
/// replica as the old holder last replicated it. Recorded before the new holder's services start, so nothing
/// they write is mistaken for the shared state.
package enum RejoinBase {
    /// Scans the share (stat only, hashes reused from the file index) and stores it for `epoch`. Returns the count.
    @discardableResult
    package static func record(_ context: ShareContext, epoch: UInt64, at time: Double) throws -> Int {
        let share = try ShareDirectory(path: context.localPath, create: true)
        let scan = try TreeScanner(filter: context.share.filter, index: context.index).scan(share)
        try context.database.saveRejoinBase(
            share: context.key, epoch: epoch, files: scan.entries.count,
            manifest: try ManifestTransfer.blob(scan.entries), at: time)
        return scan.entries.count
    }

    /// The stored base of `epoch`, nil when none was recorded.
    package static func load(_ context: ShareContext, epoch: UInt64) throws -> [ManifestEntry]? {
        try context.database.rejoinBase(share: context.key, epoch: epoch).map {
            try ManifestTransfer.entries(ofBlob: $0)
        }
    }
}
