/// Refuses a heartbeat whose sequence number is not above the last one accepted from the same sender on the
/// same link: a recorded datagram replayed later (or twice) cannot make a dead peer look alive. Senders start
/// their sequence above both their clock in nanoseconds and the last one they sent (kept across restarts), so it keeps
/// growing; receivers keep what they accepted across their own restarts too.
public struct ReplayGuard: Sendable, Equatable {
    private var lastAccepted: [String: UInt64] = [:]

    public init() {}

    /// Starts from what was accepted before a restart: "sender\0link" → last sequence.
    public init(accepted: [String: UInt64]) {
        lastAccepted = accepted
    }

    /// What was accepted, to be kept across a restart.
    public var accepted: [String: UInt64] { lastAccepted }

    /// True (and remembered) when `sequence` is new for `sender` on `link`.
    public mutating func accept(sender: String, link: String, sequence: UInt64) -> Bool {
        let key = sender + "\u{0}" + link
        if let last = lastAccepted[key], sequence <= last { return false }
        lastAccepted[key] = sequence
        return true
    }
}
