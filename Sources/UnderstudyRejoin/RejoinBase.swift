import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyReplication
import UnderstudySession
import UnderstudySupport

/// The base of a rejoin: this node's tree of each share of a group at the moment it took the group over — the
/// replica as the old holder last replicated it. Recorded before the new holder's services start, so nothing
/// they write is mistaken for the shared state.
package enum RejoinBase {
    /// Scans the share (stat only, hashes reused from the file index) and stores it for `epoch`. Returns the count.
    /// The walk and the compression run on a thread of their own: a large tree takes seconds, which must not hold a
    /// thread of the cooperative pool during a takeover.
    @discardableResult
    package static func record(_ context: ShareContext, epoch: UInt64, at time: Double) async throws -> Int {
        let (path, filter, index) = (context.localPath, context.share.filter, context.index)
        let (count, blob) = try await onThread {
            let scan = try TreeScanner(filter: filter, index: index).scan(try ShareDirectory(path: path, create: true))
            return (scan.entries.count, try ManifestTransfer.blob(scan.entries))
        }
        try context.database.saveRejoinBase(share: context.key, epoch: epoch, files: count, manifest: blob, at: time)
        return count
    }

    /// The stored base of `epoch`, nil when none was recorded.
    package static func load(_ context: ShareContext, epoch: UInt64) throws -> [ManifestEntry]? {
        try context.database.rejoinBase(share: context.key, epoch: epoch).map {
            try ManifestTransfer.entries(ofBlob: $0)
        }
    }
}
