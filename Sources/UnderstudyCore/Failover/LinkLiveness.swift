/// Which links to one peer are alive: a link is up while something authentic was heard on it within the dead
/// time. Pure: the caller says when a heartbeat arrived and what time it is now.
public struct LinkLiveness: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Nothing heard yet and the dead time since start has not passed.
        case unknown
        case up
        case down
    }

    public struct Link: Sendable, Equatable {
        public var name: String
        public var state: State
        public var lastHeard: Double?
        /// When it came up (its first heartbeat after start or after being down); nil while not up.
        public var upSince: Double?
    }

    public enum Event: Sendable, Equatable {
        /// Silent for the dead time; `lastHeard` nil when never heard since start.
        case down(link: String, lastHeard: Double?)
        /// Heard again after being down.
        case up(link: String)
    }

    public let deadTime: Double
    /// Since when this node has been listening: its start, or its resumption after it was frozen.
    public private(set) var startedAt: Double
    public private(set) var links: [Link]

    public init(links: [String], deadTime: Double, startedAt: Double) {
        self.links = links.map { Link(name: $0, state: .unknown, lastHeard: nil) }
        self.deadTime = deadTime
        self.startedAt = startedAt
    }

    /// A heartbeat arrived on `link` at `now`. An event only when the link comes back from down; the first
    /// heartbeat after start is the normal case, not news.
    public mutating func heard(on link: String, at now: Double) -> Event? {
        guard let index = links.firstIndex(where: { $0.name == link }) else { return nil }
        let before = links[index].state
        links[index].lastHeard = max(links[index].lastHeard ?? now, now)
        links[index].state = .up
        if before != .up { links[index].upSince = now }
        return before == .down ? .up(link: link) : nil
    }

    /// Links whose silence reached the dead time go down.
    public mutating func evaluate(at now: Double) -> [Event] {
        var events: [Event] = []
        for index in links.indices where links[index].state != .down {
            let since = max(links[index].lastHeard ?? startedAt, startedAt)
            if now - since >= deadTime {
                links[index].state = .down
                links[index].upSince = nil
                events.append(.down(link: links[index].name, lastHeard: links[index].lastHeard))
            }
        }
        return events
    }

    /// The most recent heartbeat on any link, nil before the first.
    public var lastHeard: Double? {
        links.compactMap(\.lastHeard).max()
    }

    /// Seconds since anything was heard on any link (since start when nothing was).
    public func silence(at now: Double) -> Double {
        now - max(lastHeard ?? startedAt, startedAt)
    }

    /// This node was frozen (a paused VM, a stopped process) and runs again: what it did not hear while frozen
    /// says nothing about the peer, so silence counts afresh from `now`.
    public mutating func listenAfresh(at now: Double) {
        startedAt = now
    }

    /// How each link is, for the mirror's choice of path.
    public var views: [String: MirrorRoute.LinkView] {
        Dictionary(
            links.map { ($0.name, MirrorRoute.LinkView(state: $0.state, upSince: $0.upSince)) },
            uniquingKeysWith: { first, _ in first })
    }

    public var allDown: Bool {
        !links.isEmpty && links.allSatisfy { $0.state == .down }
    }
}
