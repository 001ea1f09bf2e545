#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudyFileSystem

/// Watches one share through fanotify: the `FanotifyHub` of the share's mount reads events for its whole file system
/// (`FAN_MARK_FILESYSTEM` with `FAN_REPORT_DFID_NAME`), and this watcher keeps those in its tree. No watch per
/// directory, no walk at start, and no kernel memory that grows with the tree.
///
/// Events outside the share, in excluded or reserved directories, or for names that are not UTF-8 are dropped. Needs
/// CAP_SYS_ADMIN (for the mark) and CAP_DAC_READ_SEARCH (for the handles), and Linux 5.17 for `FAN_RENAME`, which
/// reports both names of a rename in one event. fanotify sees only changes made through this kernel: not those made
/// by another host on a network file system.
package final class FanotifyWatcher: ChangeWatcher, @unchecked Sendable {
    package var backend: CaptureBackend { .fanotify }

    /// The share root as the kernel names it (symlinks resolved), and that with a final "/".
    let rootPath: String
    private let rootPrefix: String
    let filter: PathFilter
    let onChanges: @Sendable ([CapturedChange]) -> Void
    let hub: FanotifyHub

    /// The hub's reading thread's own.
    var undelivered: [CapturedChange] = []
    /// Absolute directory path → the path relative to the root when it is mirrored (a function of the path alone).
    private var mirrored: [String: String?] = [:]
    static let cachedDirectories = 16384
    /// Held while `onChanges` runs, so that `stop()` can wait for a delivery in flight.
    private let deliveryLock = NIOLock()

    private enum Lifecycle { case idle, running, stopped }
    private let lifecycle = NIOLockedValueBox(Lifecycle.idle)

    /// Holds the hub of the share's mount (made, with its mark, if this is the first share there); throws when
    /// fanotify cannot watch this tree (old kernel, no privilege, a file system without file handles), with the
    /// reason, so that the caller can fall back to inotify.
    package init(
        root: String, filter: PathFilter, onChanges: @escaping @Sendable ([CapturedChange]) -> Void
    ) throws(FileSystemError) {
        guard let resolved = realpath(root, nil) else { throw .errno("resolve the share root", root) }
        rootPath = String(cString: resolved)
        free(resolved)
        rootPrefix = rootPath == "/" ? "/" : rootPath + "/"
        self.filter = filter
        self.onChanges = onChanges
        hub = try FanotifyHub.hold(root: rootPath)
    }

    deinit {
        stop()
    }

    package var watchCount: Int? { nil }
    package var currentLimitProblem: String? { nil }

    /// Reports changes from now on.
    package func start() throws(FileSystemError) -> CaptureReport {
        let mayStart = lifecycle.withLockedValue { state -> Bool in
            guard state == .idle else { return false }
            state = .running
            return true
        }
        guard mayStart else {
            throw FileSystemError(
                operation: "start fanotify watcher (already started or stopped)", path: "", errno: EINVAL)
        }
        do {
            try hub.add(self)
        } catch {
            stop()
            throw error
        }
        return CaptureReport(backend: .fanotify, watches: nil, limitProblem: nil)
    }

    /// No callback runs after this returns (unless called from the callback itself). Idempotent.
    package func stop() {
        let previous = lifecycle.withLockedValue { state -> Lifecycle in
            defer { state = .stopped }
            return state
        }
        guard previous != .stopped else { return }
        hub.remove(self)
        if !hub.isReadingThread { deliveryLock.withLock {} }  // a delivery in flight ends first
        hub.release()
    }

    /// One event of the hub (on its reading thread).
    func receive(_ event: FanotifyEvent) {
        let mask = event.mask
        if mask & FanotifyEvent.Bit.overflow != 0 {
            emit(.overflow, "")
            return
        }
        if mask & FanotifyEvent.Bit.rename != 0 {
            for entry in event.entries { renamed(entry, isDirectory: event.isDirectory) }
        } else if let entry = event.entries.first {
            changed(entry, mask: mask, isDirectory: event.isDirectory)
        }
    }

    /// Hands what the hub's last read brought over (on its reading thread), each change once.
    func deliver() {
        guard !undelivered.isEmpty else { return }
        let changes = CapturedChange.lastOfEach(undelivered)
        undelivered = []
        deliveryLock.withLock {
            guard lifecycle.withLockedValue({ $0 == .running }) else { return }
            onChanges(changes)
        }
    }

    /// One name of a rename (its old or its new one): that entry and everything below it changed.
    private func renamed(_ entry: FanotifyEvent.Entry, isDirectory: Bool) {
        if entry.role == .oldName && isDirectory && holdsRoot(entry.path) {
            emit(.overflow, "")  // the share itself moved: everything must be looked at again
            return
        }
        guard let directory = mirroredDirectory(entry.directory),
            let path = mirroredEntry(directory, entry.name, isDirectory: isDirectory)
        else { return }
        emit(.tree, path)
        emit(.settled, directory)
    }

    private func changed(_ entry: FanotifyEvent.Entry, mask: UInt64, isDirectory: Bool) {
        if entry.name == "." {
            // An event on a directory itself; its removal or move is told by its parent's event.
            if mask & FanotifyEvent.Bit.attrib != 0, let path = mirroredDirectory(entry.directory) {
                emit(.settled, path)
            }
            return
        }
        if isDirectory && mask & FanotifyEvent.Bit.delete != 0 && holdsRoot(entry.path) {
            emit(.overflow, "")  // the share's root was removed
            return
        }
        guard let directory = mirroredDirectory(entry.directory),
            let path = mirroredEntry(directory, entry.name, isDirectory: isDirectory)
        else { return }
        if mask & FanotifyEvent.Bit.create != 0 {
            emit(isDirectory ? .tree : .settled, path)
            emit(.settled, directory)
        }
        // Merged events keep no order: a write and a close together read as written, then settled.
        if mask & FanotifyEvent.Bit.modify != 0 { emit(.writing, path) }
        if mask & (FanotifyEvent.Bit.attrib | FanotifyEvent.Bit.closeWrite) != 0 { emit(.settled, path) }
        if mask & FanotifyEvent.Bit.delete != 0 {
            emit(.tree, path)
            emit(.settled, directory)
        }
    }

    /// `absolute` relative to the root when it is the root or a mirrored directory below it.
    func mirroredDirectory(_ absolute: String) -> String? {
        if absolute == rootPath { return "" }
        guard absolute.hasPrefix(rootPrefix) else { return nil }
        if let known = mirrored[absolute] { return known }
        let relative = String(absolute.dropFirst(rootPrefix.count))
        let kept =
            relative.utf8.count <= RelativePath.maximumLength
            && !relative.split(separator: "/").contains(where: { $0.hasPrefix(ShareDirectory.reservedPrefix) })
            && filter.isMirrored(relative, isDirectory: true)
        if mirrored.count >= Self.cachedDirectories { mirrored.removeAll(keepingCapacity: true) }
        mirrored[absolute] = .some(kept ? relative : nil)
        return kept ? relative : nil
    }

    /// The path of `name` in the mirrored `directory`, when the entry itself is mirrored too.
    private func mirroredEntry(_ directory: String, _ name: String, isDirectory: Bool) -> String? {
        guard !name.isEmpty, !name.hasPrefix(ShareDirectory.reservedPrefix) else { return nil }
        let path = RelativePath.join(directory, name)
        guard path.utf8.count <= RelativePath.maximumLength, filter.isMirrored(path, isDirectory: isDirectory) else {
            return nil
        }
        return path
    }

    /// Whether `absolute` is the root or one of the directories above it: removing or renaming it takes the share.
    func holdsRoot(_ absolute: String) -> Bool {
        absolute == rootPath || rootPrefix.hasPrefix(absolute.hasSuffix("/") ? absolute : absolute + "/")
    }

    private func emit(_ kind: CapturedChange.Kind, _ path: String) {
        undelivered.append(CapturedChange(kind, path))
    }
}
