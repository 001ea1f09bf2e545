/// A share's include and exclude patterns (gitignore-style, see `GlobPattern`), compiled once.
///
/// A path is excluded when it, or any directory above it, matches an exclude pattern; so the answer
/// for a path is the same whether it comes from the tree walker (which stops at an excluded
/// directory) or from a change event deep inside one. With include patterns, a file is mirrored only
/// when it or a directory above it matches one. Directories themselves are always mirrored unless
/// excluded, because a file deep inside may be included.
public struct PathFilter: Sendable, Equatable {
    public let include: [GlobPattern]
    public let exclude: [GlobPattern]

    /// A filter that keeps everything.
    public init() {
        include = []
        exclude = []
    }

    /// Compiles the patterns; throws for the first invalid one.
    public init(include: [String], exclude: [String]) throws(GlobError) {
        var includePatterns: [GlobPattern] = []
        for pattern in include { includePatterns.append(try GlobPattern(pattern)) }
        var excludePatterns: [GlobPattern] = []
        for pattern in exclude { excludePatterns.append(try GlobPattern(pattern)) }
        self.include = includePatterns
        self.exclude = excludePatterns
    }

    /// Called by the tree walker on each entry, path relative to the share root using "/"
    /// separators, no leading "/". A directory for which this returns true is not descended into.
    public func isExcluded(_ relativePath: String, isDirectory: Bool) -> Bool {
        if exclude.isEmpty { return false }
        return Self.matchesSelfOrAncestor(exclude, relativePath, isDirectory: isDirectory)
    }

    /// For non-directories: with include patterns, true only if the path or one of its ancestor
    /// directories matches an include. Without includes: true.
    public func isIncluded(_ relativePath: String) -> Bool {
        if include.isEmpty { return true }
        return Self.matchesSelfOrAncestor(include, relativePath, isDirectory: false)
    }

    /// Whether the entry is mirrored at all: not excluded, and for a file also included.
    public func isMirrored(_ relativePath: String, isDirectory: Bool) -> Bool {
        !isExcluded(relativePath, isDirectory: isDirectory) && (isDirectory || isIncluded(relativePath))
    }

    public static func == (lhs: PathFilter, rhs: PathFilter) -> Bool {
        lhs.include == rhs.include && lhs.exclude == rhs.exclude
    }

    /// Every component but the last is a directory; the last is one when `isDirectory`.
    private static func matchesSelfOrAncestor(
        _ patterns: [GlobPattern], _ relativePath: String, isDirectory: Bool
    ) -> Bool {
        GlobMatcher.withComponents(of: relativePath) { path, components in
            let count = components.count
            for pattern in patterns {
                if pattern.isAnchored {
                    for prefix in stride(from: 1, through: count, by: 1) {
                        if pattern.matchesPrefix(
                            path, components, count: prefix, isDirectory: prefix < count || isDirectory)
                        {
                            return true
                        }
                    }
                } else {
                    for index in 0..<count {
                        if pattern.matchesName(path, components[index], isDirectory: index < count - 1 || isDirectory) {
                            return true
                        }
                    }
                }
            }
            return false
        }
    }
}
