/// How much an event of the node's log matters: the only levels the log accepts, so that a part cannot record an
/// event at a level the database would refuse (and lose the event).
public enum EventLevel: String, Sendable, CaseIterable, Codable {
    case info, warning, error
}
