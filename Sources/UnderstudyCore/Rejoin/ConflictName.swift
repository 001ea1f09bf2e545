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
        if let dot = name.lastIndex(of: "."), dot != name.startIndex, name.distance(from: dot, to: name.endIndex) <= 12
        {
            return directory + String(name[..<dot]) + tag + String(name[dot...])
        }
        return directory + name + tag
    }

    /// The path a conflict copy stands beside (the marker, node and time removed; the extension kept).
    public static func original(of copy: String) -> String {
        parse(copy)?.original ?? copy
    }

    /// The node whose version a conflict copy holds, or nil when `copy` is not a conflict copy's name.
    public static func node(of copy: String) -> String? {
        parse(copy)?.node
    }

    private static func parse(_ copy: String) -> (original: String, node: String)? {
        let characters = Array(copy)
        let mark = Array(marker)
        guard characters.count > mark.count else { return nil }
        var start = characters.count - mark.count
        while start >= 0 && Array(characters[start..<start + mark.count]) != mark { start -= 1 }
        guard start >= 0 else { return nil }
        // "node-YYYYMMDDTHHMMSSZ" follows the marker; a node name may hold dashes, so the stamp is found from the end.
        let rest = Array(characters[(start + mark.count)...])
        for end in stride(from: rest.count, through: 17, by: -1) {
            let stamp = rest[(end - 17)..<end]
            if isStamp(stamp), end - 17 >= 1 {
                return (String(characters[..<start]) + String(rest[end...]), String(rest[..<(end - 17)]))
            }
        }
        return nil
    }

    /// "-20261122T101500Z"
    private static func isStamp(_ text: ArraySlice<Character>) -> Bool {
        let chars = Array(text)
        guard chars.count == 17, chars[0] == "-", chars[9] == "T", chars[16] == "Z" else { return false }
        return chars[1...8].allSatisfy(\.isNumber) && chars[10...15].allSatisfy(\.isNumber)
    }

    /// True when `path`'s last component is a conflict copy's name.
    public static func isConflictCopy(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return name.contains(marker)
    }
}
