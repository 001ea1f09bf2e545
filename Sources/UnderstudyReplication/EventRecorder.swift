import UnderstudyState

/// A place to record the node's events (the event log, and its notifications): what every part that reports
/// events needs of the node.
package protocol EventRecorder: Sendable {
    func event(_ level: EventLevel, _ kind: EventKind, _ message: String, share: String?)
}

extension EventRecorder {
    /// Records an event of no particular share.
    package func event(_ level: EventLevel, _ kind: EventKind, _ message: String) {
        event(level, kind, message, share: nil)
    }
}
