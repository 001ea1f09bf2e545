import CLibrsync

/// Facts about the librsync linked into this process (shown by `understudy
/// version` and logged at start, since delta compatibility depends on it).
public enum LibrsyncInfo {
    /// For example "librsync 2.3.2".
    public static var version: String { String(cString: clibrsync_version()) }
}
