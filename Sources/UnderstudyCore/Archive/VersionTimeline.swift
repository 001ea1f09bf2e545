/// Which kept version of a path was its content at a given moment. A version is current from `since` (when it
/// arrived on the replica: its birth time, or later if it was moved to this path afterwards) until `until` (when
/// it was replaced, deleted or moved away; nil for the file there now). A version written while the one it
/// replaces was still in place overlaps it a little; the older one wins, since the new one was not yet there.
public enum VersionTimeline {
    public struct Version: Sendable, Equatable {
        public var id: Int64
        public var since: Double?
        public var until: Double?

        public init(id: Int64, since: Double?, until: Double?) {
            self.id = id
            self.since = since
            self.until = until
        }
    }

    /// - Parameters:
    ///   - kept: versions from the history (with `until`), and the current file (without) if there is one.
    ///   - movedIn: times content arrived at this path by a rename.
    /// - Returns: the version current at `time`, or nil when the path held no file then.
    public static func version(at time: Double, of versions: [Version], movedIn: [Double]) -> Version? {
        var best: Version?
        for version in versions {
            let end = version.until ?? .infinity
            guard time < end else { continue }
            var start = version.since ?? -.infinity
            for arrival in movedIn where arrival < end && arrival > start { start = arrival }
            guard start <= time else { continue }
            if let chosen = best, (chosen.until ?? .infinity) <= end { continue }
            best = version
        }
        return best
    }
}
