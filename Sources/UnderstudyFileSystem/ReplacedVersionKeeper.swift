/// A place to keep a replaced version: what the replica writer calls just before it renames over a file or unlinks
/// one, so the share's history can keep the old inode (the history keeper of the archive part conforms). The
/// writer knows no more of archives than this.
public protocol ReplacedVersionKeeper: Sendable {
    /// Keeps the file `name` of `directory` (a replica path `path`) as it is now, for `reason`.
    func preserve(_ directory: Int32, _ name: String, path: String, reason: String)
    /// Keeps every file under `name` (a directory, or a file) of `directory`.
    func preserveTree(_ directory: Int32, _ name: String, path: String, reason: String)
    /// Notes that the tree at `name` moved in from outside the share (nothing older of it to keep).
    func noteMovedInTree(_ directory: Int32, _ name: String, path: String)
}
