/// The name a conflicting version is kept under, beside the file it conflicts with:
/// `name.understudy-conflict-<node>-<UTC time>.ext` (`report.txt` → `report.understudy-conflict-alpha-20261122T101500Z.txt`).
/// A name without an extension (or a dot file such as `.profile`) gets the marker at its end.
public enum ConflictName {
    public static let marker = ".understudy-conflict-"

    /// - Parameters:
    ///   - path: relative path of the file in the share.
    ///   - node: the node whose version the conflict copy holds.
    ///   - time: Unix seconds (UTC) when the conflict was found.
    public static func make(for path: String, node: String, time: Double) -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let tag = marker + node + "-" + PointInTime.compact(time)
        // The extension is what follows the last dot, unless that dot starts the name (".profile") or the
        // extension is implausibly long for one.
        if let dot = name.lastIndex(of: "."), dot != name.startIndex, name.distance(from: dot, to: name.endIndex) <= 12 {
            return directory + String(name[..<dot]) + tag + String(name[dot...])
        }
        return directory + name + tag
    }

    /// True when `path`'s last component is a conflict copy's name.
    public static func isConflictCopy(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return name.contains(marker)
    }
}
