import UnderstudyCore
import UnderstudyFileSystem

/// Picks a share's change capture by the node's `change_capture`.
package enum ChangeWatchers {
    /// The watcher for `root`, and why fanotify was passed over when `auto` fell back to inotify.
    package static func make(
        root: String, filter: PathFilter, method: ChangeCaptureMethod,
        onChanges: @escaping @Sendable ([CapturedChange]) -> Void
    ) throws(FileSystemError) -> (watcher: any ChangeWatcher, fallback: String?) {
        switch method {
        case .inotify:
            return (try InotifyWatcher(root: root, filter: filter, onChanges: onChanges), nil)
        case .fanotify:
            return (try FanotifyWatcher(root: root, filter: filter, onChanges: onChanges), nil)
        case .auto:
            do {
                return (try FanotifyWatcher(root: root, filter: filter, onChanges: onChanges), nil)
            } catch {
                let reason = "fanotify is not available for \(root) (\(error)); watching every directory with inotify"
                return (try InotifyWatcher(root: root, filter: filter, onChanges: onChanges), reason)
            }
        }
    }
}
