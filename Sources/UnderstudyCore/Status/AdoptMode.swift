/// What the standby does with a replica directory that held files before it ever mirrored into it
/// (`understudy adopt GROUP/SHARE --keep|--move-aside`).
public enum AdoptMode: String, Sendable, Codable, CaseIterable {
    /// Mirror over what is there: files the source lacks are deleted.
    case keep
    /// Move what is there to a sibling directory first; the replica starts empty.
    case moveAside = "move-aside"
}
