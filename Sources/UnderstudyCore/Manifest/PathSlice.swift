/// One part of a share in path order, for comparing a tree too large to hold whole: the entries whose path comes
/// after `after` (every entry when nil), at most `limit` of them. Both nodes walk the same slice; the comparison
/// then covers the paths up to the last one both walks reached, and the next slice starts after it.
public struct PathSlice: Sendable, Equatable {
    /// A full comparison of more entries than this goes in slices (the largest part either node holds at once).
    public static let defaultLimit = 100_000

    /// The last path of the slice before (exclusive lower bound); nil: from the start, the root included.
    public var after: String?
    public var limit: Int

    public init(after: String?, limit: Int) {
        self.after = after
        self.limit = limit
    }

    /// Whether `path` comes after the slice's start.
    public func follows(_ path: String) -> Bool {
        guard let after else { return true }
        return path > after
    }

    /// Whether something below the directory `path` can come after the slice's start. Everything below it lies
    /// between "path/" and "path0" ('0' follows '/').
    public func reachesBelow(_ path: String) -> Bool {
        guard let after, !path.isEmpty else { return true }
        return path + "0" > after
    }
}
