/// How the primary learns of changes in its shares: `change_capture` of `[nodes.NAME]`.
public enum ChangeCaptureMethod: String, Sendable, CaseIterable {
    /// fanotify when the kernel and privileges allow it, else inotify (the default).
    case auto
    /// One fanotify mark on each share's whole file system (Linux 5.17 or later, as root): no per-directory
    /// watch and no walk at start. Where it is not available, the share is left to periodic comparisons, with an
    /// error in the log and status.
    case fanotify
    /// A watch on every directory (any kernel, any user); the start walks the whole tree.
    case inotify
}
