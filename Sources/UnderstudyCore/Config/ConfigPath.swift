/// Lexical handling of the absolute paths in a configuration: the file system is never consulted,
/// because the configuration is checked on machines where the paths do not exist.
enum ConfigPath {
    /// Removes empty and "." components and a trailing "/"; resolves ".." lexically. "/" stays "/".
    static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part == "..", absolute {
                continue
            } else {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// The directory part of a file path: "/etc/understudy/cluster.toml" → "/etc/understudy",
    /// "cluster.toml" → ".".
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// `path` if absolute, otherwise `path` below `base`; normalized.
    static func resolve(_ path: String, against base: String) -> String {
        if path.hasPrefix("/") { return normalize(path) }
        return normalize(base + "/" + path)
    }

    static func hasParentComponent(_ path: String) -> Bool {
        path.split(separator: "/").contains("..")
    }

    /// True when the paths are equal or one lies inside the other (both normalized).
    static func overlap(_ a: String, _ b: String) -> Bool {
        isWithin(a, b) || isWithin(b, a)
    }

    static func isWithin(_ path: String, _ ancestor: String) -> Bool {
        if ancestor == "/" { return path.hasPrefix("/") }
        return path == ancestor || path.hasPrefix(ancestor + "/")
    }
}
