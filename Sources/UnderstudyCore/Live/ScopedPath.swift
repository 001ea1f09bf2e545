/// A part of a share that a live sync compares: one entry, or an entry and everything below it.
public struct ScopedPath: Hashable, Sendable, Comparable {
    /// Relative to the share root; "" is the root.
    public var path: String
    public var recursive: Bool

    public init(_ path: String, recursive: Bool) {
        self.path = path
        self.recursive = recursive
    }

    public static func < (lhs: ScopedPath, rhs: ScopedPath) -> Bool {
        lhs.path == rhs.path ? (!lhs.recursive && rhs.recursive) : lhs.path < rhs.path
    }

    /// Whether this scope covers `path` (the path itself, or anything below it when recursive).
    public func covers(_ other: String) -> Bool {
        recursive ? RelativePath.isWithin(other, path) : other == path
    }

    /// The smallest list that covers the same paths: an entry below a recursive one is dropped, and a path
    /// listed both ways is kept recursive. Sorted by path.
    public static func minimal<S: Sequence>(_ scopes: S) -> [ScopedPath] where S.Element == ScopedPath {
        var byPath: [String: Bool] = [:]
        for scope in scopes { byPath[scope.path] = (byPath[scope.path] ?? false) || scope.recursive }
        var result: [ScopedPath] = []
        for (path, recursive) in byPath {
            var ancestor = RelativePath.parent(path)
            var covered = false
            while let current = ancestor {
                if byPath[current] == true {
                    covered = true
                    break
                }
                ancestor = RelativePath.parent(current)
            }
            if !covered { result.append(ScopedPath(path, recursive: recursive)) }
        }
        result.sort()
        return result
    }
}
