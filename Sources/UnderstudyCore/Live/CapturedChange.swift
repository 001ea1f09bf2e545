/// One change seen by the change capture (inotify) in a share, already reduced to what the mirror needs: which
/// path to look at again, and how.
public struct CapturedChange: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// The entry itself changed and is complete: a file closed after writing, a symlink made, attributes set.
        case settled
        /// A file is being written and is still open; it is looked at once the writes go quiet.
        case writing
        /// The entry and everything below it may have changed: a directory made, moved in or out, or anything
        /// deleted.
        case tree
        /// Events were lost (the kernel queue overflowed, a watch could not be added): the path and everything
        /// below it must be compared again.
        case overflow
    }

    /// Relative to the share root; "" is the root.
    public var path: String
    public var kind: Kind

    public init(_ kind: Kind, _ path: String) {
        self.path = path
        self.kind = kind
    }
}

extension CapturedChange {
    /// Each change once, at its last position: a `.writing` after a `.settled` of the same file must stay last,
    /// and other repeats (a parent settled by every create in it) say nothing new.
    public static func lastOfEach(_ changes: [CapturedChange]) -> [CapturedChange] {
        var seen = Set<CapturedChange>()
        var reduced: [CapturedChange] = []
        reduced.reserveCapacity(changes.count)
        for change in changes.reversed() where seen.insert(change).inserted { reduced.append(change) }
        return reduced.reversed()
    }
}
