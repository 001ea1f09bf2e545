import UnderstudyCore
import UnderstudyFileSystem

/// The kernel mechanism that feeds a share's change capture.
package enum CaptureBackend: String, Sendable, CaseIterable {
    case fanotify
    case inotify
}

/// What a watcher found when it started.
package struct CaptureReport: Sendable {
    package var backend: CaptureBackend
    /// Directories under watch (inotify); nil where the backend needs none (fanotify marks the file system).
    package var watches: Int?
    /// A message an administrator can act on when the inotify watch limit left part of the tree unwatched.
    package var limitProblem: String?
}

/// Watches one share's tree and reports changes as `CapturedChange`s on a thread of its own, until `stop()`.
///
/// Both backends report the same changes for the same operations (the conformance tests run against both): a
/// file closed after writing or with new attributes is `.settled`, one still being written `.writing`, anything
/// created as a directory, deleted or renamed `.tree` (with its parent `.settled`), and lost events `.overflow`.
///
/// `onChanges` must return quickly: with fanotify it runs on the thread that reads for every share on the mount.
/// A started watcher is kept alive by its thread until `stop()`.
package protocol ChangeWatcher: AnyObject, Sendable {
    var backend: CaptureBackend { get }
    /// Starts reporting. inotify walks the tree first (seconds for a large one); fanotify starts at once (and may
    /// also report changes made a moment before, which the mount's group had queued but not yet read).
    func start() throws(FileSystemError) -> CaptureReport
    /// Ends the reading thread and closes the descriptors. Idempotent; may be called from `onChanges`.
    func stop()
    /// Directories under watch now (inotify), nil for fanotify.
    var watchCount: Int? { get }
    /// The latest limit problem, including one met after start() while following new directories.
    var currentLimitProblem: String? { get }
}

extension InotifyWatcher: ChangeWatcher {
    package var backend: CaptureBackend { .inotify }
    package var watchCount: Int? { directoriesWatched }
}
