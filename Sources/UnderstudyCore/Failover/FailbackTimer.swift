/// When the node serving a group in place of its configured primary hands it back by itself (`failback = "auto"`):
/// once the configured primary has been a standby in step without a break for `after` seconds. A break starts
/// the wait again, and so does an attempt that did not move the group.
public struct FailbackTimer: Sendable, Equatable {
    public enum Decision: Sendable, Equatable {
        /// Nothing to do or to say.
        case none
        /// The wait began: the group goes back at `at` unless the primary falls out of step.
        case waiting(until: Double)
        /// The primary fell out of step during the wait (after `waited` seconds).
        case interrupted(waited: Double)
        /// Hand the group back now.
        case failBack
    }

    public let after: Double
    public private(set) var readySince: Double?
    public private(set) var attempting = false

    public init(after: Double) {
        self.after = after
    }

    /// `ready`: this node serves the group, its configured primary is a reachable standby in step with it.
    public mutating func observe(ready: Bool, at now: Double) -> Decision {
        guard !attempting else { return .none }
        guard ready else {
            defer { readySince = nil }
            return readySince.map { .interrupted(waited: now - $0) } ?? .none
        }
        guard let since = readySince else {
            readySince = now
            return .waiting(until: now + after)
        }
        guard now - since >= after else { return .none }
        attempting = true
        return .failBack
    }

    /// The hand-back ended; the wait starts again from the next ready observation if the group is still here.
    public mutating func attemptEnded() {
        attempting = false
        readySince = nil
    }
}
