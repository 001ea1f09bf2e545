#if canImport(Glibc)
import Glibc
#endif
import CLinux
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyReplication
import UnderstudyState

/// Keeps the prior version of every replica file the mirror replaces or deletes: just before the rename or the
/// unlink, the old inode gets a second name under `history/` (a hard link: no data is copied, and the mirror
/// never writes an inode in place, so the kept version stays as it was). The records wait here until the batch
/// that replaced them is durable, then the sync stores them; a link whose record a crash lost is an orphan
/// that the next start removes. Used from the sync's task and the batch flusher's thread, hence the lock.
public final class HistoryKeeper: ShareHistory {
    let key: String
    private let store: ArchiveStore
    private let index: ShareIndex
    /// Wall-clock seconds since 1970.
    private let clock: @Sendable () -> Double
    private let pending = NIOLockedValueBox<[HistoryRecord]>([])
    private let failures = NIOLockedValueBox<Int>(0)

    init(key: String, store: ArchiveStore, index: ShareIndex, clock: @escaping @Sendable () -> Double) {
        self.key = key
        self.store = store
        self.index = index
        self.clock = clock
    }

    /// Keeps the regular file `name` of `directory` (share path `path`) if there is one; anything else is ignored.
    public func preserve(_ directory: Int32, _ name: String, path: String, reason: String) {
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFREG else {
            return
        }
        keep(directory, name, info, path: path, reason: reason)
    }

    /// Keeps every regular file below `name` (a file or a directory about to be removed).
    public func preserveTree(_ directory: Int32, _ name: String, path: String, reason: String) {
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            keep(directory, name, info, path: path, reason: reason)
        case S_IFDIR:
            let child = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard child >= 0 else { return }
            defer { close(child) }
            for entry in DirectoryEntry.read(child) ?? [] where !entry.hasReservedPrefix {
                preserveTree(child, entry.displayName, path: RelativePath.join(path, entry.displayName), reason: reason)
            }
        default:
            return
        }
    }

    /// Content arrived at `path` by a rename: from now on it is `path`'s version (its birth time is older).
    func noteMovedIn(_ path: String) {
        let record = HistoryRecord(
            share: key, path: path, since: nil, until: clock(), reason: "moved-in", size: 0, mtime: 0, hash: nil,
            stored: nil)
        pending.withLockedValue { $0.append(record) }
    }

    /// After a rename of a file or directory to `path`: every file now below it arrived there now.
    public func noteMovedInTree(_ directory: Int32, _ name: String, path: String) {
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFREG { return noteMovedIn(path) }
        guard info.st_mode & S_IFMT == S_IFDIR else { return }
        let child = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard child >= 0 else { return }
        defer { close(child) }
        for entry in DirectoryEntry.read(child) ?? [] where !entry.hasReservedPrefix {
            noteMovedInTree(child, entry.displayName, path: RelativePath.join(path, entry.displayName))
        }
    }

    private func keep(_ directory: Int32, _ name: String, _ info: stat, path: String, reason: String) {
        let stored = ArchiveStore.newStoredName()
        guard linkat(directory, name, store.history, stored, 0) == 0 else { return noteFailure() }
        var seconds: Int64 = 0
        var nanoseconds = 0
        let since: Double? =
            understudy_birth_time(directory, name, &seconds, &nanoseconds) == 0
            ? Double(seconds) + Double(nanoseconds) / 1e9 : nil
        let record = HistoryRecord(
            share: key, path: path, since: since, until: clock(), reason: reason, size: Int64(info.st_size),
            mtime: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9,
            hash: index.contentHash(of: path, inode: UInt64(info.st_ino)), stored: stored)
        pending.withLockedValue { $0.append(record) }
    }

    private func noteFailure() {
        failures.withLockedValue { $0 += 1 }
    }

    /// The records kept since the last call (store them once the replica batch is durable), and how many versions
    /// could not be kept (a link failed: disk full, too many links).
    public func take() -> (records: [HistoryRecord], failures: Int) {
        let records = pending.withLockedValue { value in
            defer { value.removeAll() }
            return value
        }
        let failed = failures.withLockedValue { value in
            defer { value = 0 }
            return value
        }
        return (records, failed)
    }
}
