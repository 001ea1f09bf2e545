/// Which version of a conflicted file stays (`understudy conflicts resolve --keep`).
public enum ConflictKeep: String, Sendable, CaseIterable {
    /// The serving node's version stays; the copy (the other node's version) goes.
    case local
    /// The copy replaces the serving node's version.
    case remote
    /// Both stay as they are; only the record closes.
    case both
}
