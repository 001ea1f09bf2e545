/// Paths inside a share travel as strings relative to the share root, "/"-separated, with no leading "/".
/// The share root itself is "". Everything that comes from the wire or a manifest is checked here before
/// any file system call sees it (DESIGN rule 2: nothing outside a replica root is ever written).
public enum RelativePath {
    public static let maximumLength = 4096
    public static let maximumComponentLength = 255

    /// Throws unless `path` is a safe relative path: not absolute, no "." / ".." / empty components,
    /// no NUL byte, within Linux's length limits.
    public static func validate(_ path: String) throws(PathError) {
        if path.isEmpty { return }
        let bytes = path.utf8
        if bytes.count > maximumLength {
            throw PathError(path: path, reason: "is longer than \(maximumLength) bytes")
        }
        if bytes.first == UInt8(ascii: "/") {
            throw PathError(path: path, reason: "is absolute")
        }
        if bytes.contains(0) {
            throw PathError(path: path, reason: "contains a NUL byte")
        }
        var componentLength = 0
        var componentStart = bytes.startIndex
        var index = bytes.startIndex
        while true {
            let atEnd = index == bytes.endIndex
            if atEnd || bytes[index] == UInt8(ascii: "/") {
                let component = bytes[componentStart..<index]
                if component.isEmpty {
                    throw PathError(path: path, reason: "has an empty component")
                }
                if component.elementsEqual(".".utf8) || component.elementsEqual("..".utf8) {
                    throw PathError(
                        path: path, reason: "contains a '\(String(decoding: component, as: UTF8.self))' component")
                }
                if componentLength > maximumComponentLength {
                    throw PathError(path: path, reason: "has a name longer than \(maximumComponentLength) bytes")
                }
                if atEnd { break }
                componentLength = 0
                componentStart = bytes.index(after: index)
            } else {
                componentLength += 1
            }
            index = bytes.index(after: index)
        }
    }

    /// A path as logs and messages show it: quoted and escaped; the root is "the share root", and a path longer than
    /// 120 bytes keeps its start and its name (and says how long it is), so one deep path does not flood the log.
    public static func shown(_ path: String) -> String {
        if path.isEmpty { return "the share root" }
        guard path.utf8.count > 120 else { return String(reflecting: path) }
        return String(reflecting: String(path.prefix(50))) + "…" + String(reflecting: String(path.suffix(50)))
            + " (\(path.utf8.count) bytes, \(path.utf8.count(where: { $0 == UInt8(ascii: "/") }) + 1) components)"
    }

    public static func isValid(_ path: String) -> Bool {
        (try? validate(path)) != nil
    }

    /// The components of a valid path ("" has none).
    public static func components(_ path: String) -> [Substring] {
        path.isEmpty ? [] : path.split(separator: "/", omittingEmptySubsequences: false)
    }

    /// "a/b/c" → "a/b"; "a" → ""; "" → nil.
    public static func parent(_ path: String) -> String? {
        if path.isEmpty { return nil }
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    /// "a/b/c" → "c".
    public static func name(_ path: String) -> Substring {
        guard let slash = path.lastIndex(of: "/") else { return Substring(path) }
        return path[path.index(after: slash)...]
    }

    public static func join(_ parent: String, _ name: some StringProtocol) -> String {
        parent.isEmpty ? String(name) : parent + "/" + name
    }

    /// True when `path` is `ancestor` or lies below it.
    public static func isWithin(_ path: String, _ ancestor: String) -> Bool {
        if ancestor.isEmpty { return true }
        guard path.hasPrefix(ancestor) else { return false }
        if path.utf8.count == ancestor.utf8.count { return true }
        return path.utf8[path.utf8.index(path.utf8.startIndex, offsetBy: ancestor.utf8.count)] == UInt8(ascii: "/")
    }
}

public struct PathError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String {
        "path \(String(reflecting: path)) is refused: it \(reason)"
    }
}
