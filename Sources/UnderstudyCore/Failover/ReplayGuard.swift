/// Refuses a heartbeat whose sequence number is not above the last one accepted from the same sender on the
/// same link: a recorded datagram replayed later (or twice) cannot make a dead peer look alive. Senders start
/// their sequence at their clock in nanoseconds, so it keeps growing across their restarts.
public struct ReplayGuard: Sendable, Equatable {
    private var lastAccepted: [String: UInt64] = [:]

    public init() {}

    /// True (and remembered) when `sequence` is new for `sender` on `link`.
    public mutating func accept(sender: String, link: String, sequence: UInt64) -> Bool {
        let key = sender + "\u{0}" + link
        if let last = lastAccepted[key], sequence <= last { return false }
        lastAccepted[key] = sequence
        return true
    }
}
