/// One check's verdict from its results, with rise/fall hysteresis: `fall` failures in a row make it failing,
/// `rise` passes in a row make it pass again, so one slow answer changes nothing.
public struct CheckHealth: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Not enough results yet.
        case unknown
        case passing
        case failing
    }

    public enum Transition: Sendable, Equatable {
        case nowFailing(message: String)
        /// Passing again after failing (not after `unknown`: a check that passes from the start is no news).
        case recovered
    }

    public let rise: Int
    public let fall: Int
    public private(set) var state: State = .unknown
    public private(set) var consecutivePasses = 0
    public private(set) var consecutiveFailures = 0
    /// The last result's message ("HTTP 200 in 3 ms", "connection refused") and when it came.
    public private(set) var lastMessage = ""
    public private(set) var lastResultAt: Double?
    public private(set) var since: Double?

    public init(rise: Int, fall: Int) {
        self.rise = max(1, rise)
        self.fall = max(1, fall)
    }

    public mutating func record(passed: Bool, message: String, at now: Double) -> Transition? {
        lastMessage = message
        lastResultAt = now
        if passed {
            consecutivePasses += 1
            consecutiveFailures = 0
            if state != .passing && consecutivePasses >= rise {
                let was = state
                state = .passing
                since = now
                return was == .failing ? .recovered : nil
            }
        } else {
            consecutiveFailures += 1
            consecutivePasses = 0
            if state != .failing && consecutiveFailures >= fall {
                state = .failing
                since = now
                return .nowFailing(message: message)
            }
        }
        return nil
    }
}
