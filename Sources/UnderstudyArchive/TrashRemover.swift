#if canImport(Glibc)
import Glibc
#endif
import UnderstudyFileSystem

/// Deletes trees a little at a time: after every `batch` removals it sleeps `pause` seconds, so pruning an archive
/// of a million files never holds the disk (or the journal) for minutes the way `rm -rf` does, and the mirror's
/// writes go on between batches. What is in `trash/` is already gone from the catalog's point of view; a crash
/// half-way leaves the rest there, and the next start goes on removing it.
struct TrashRemover {
    var batch = 2000
    var pause = 0.005
    private(set) var removed: Int64 = 0
    private var sinceSleep = 0

    init(batch: Int = 2000, pause: Double = 0.005) {
        self.batch = batch
        self.pause = pause
    }

    /// Removes `name` (a file or a whole tree) below `directory`, without following symlinks.
    mutating func remove(_ name: [CChar], in directory: Int32) {
        if unlinkat(directory, name, 0) == 0 {
            tick()
            return
        }
        guard errno == EISDIR || errno == EPERM else { return }
        let child = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard child >= 0 else { return }
        // Re-read until empty: entries are removed while the directory is walked.
        for _ in 0..<1_000_000 {
            guard let entries = DirectoryEntry.read(child), !entries.isEmpty else { break }
            let before = removed
            for entry in entries { remove(entry.name, in: child) }
            if removed == before { break }  // nothing could be removed (permissions?): leave it for the next run
        }
        close(child)
        if unlinkat(directory, name, AT_REMOVEDIR) == 0 { tick() }
    }

    mutating func removeEverything(in directory: Int32) {
        guard let entries = DirectoryEntry.read(directory) else { return }
        for entry in entries { remove(entry.name, in: directory) }
    }

    private mutating func tick() {
        removed += 1
        sinceSleep += 1
        if sinceSleep >= batch {
            sinceSleep = 0
            if pause > 0 { usleep(UInt32(pause * 1_000_000)) }
        }
    }
}
