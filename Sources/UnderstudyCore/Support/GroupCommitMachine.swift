/// Group commit, as a state machine: one round of durable work (a `syncfs`, a database commit) at a time, and every
/// request that arrives while a round runs goes into the next one, done once for all of them.
///
/// A request joins the round that has not started yet, so the round that serves it starts after it arrived: what
/// the caller wrote before asking is covered. The caller then waits until that round is finished, leading it
/// itself when no round runs (`lead(_:)`), and reads the round's outcome.
public struct GroupCommitMachine<Item> {
    /// The round that runs, if any.
    public private(set) var running: UInt64?
    /// The last round finished (rounds are numbered from 1).
    public private(set) var finished: UInt64 = 0
    private var gathering: [Item] = []

    public init() {}

    /// The round that takes requests now: the one after the round that runs or last ran.
    public var gatheringRound: UInt64 { (running ?? finished) + 1 }

    /// Adds a request; returns the round that will serve it.
    public mutating func join(_ item: Item) -> UInt64 {
        gathering.append(item)
        return gatheringRound
    }

    /// The requests of `round` when it may start now (no round runs and it is the next one); it then runs. Nil:
    /// wait (another round runs, or `round` already started).
    public mutating func lead(_ round: UInt64) -> [Item]? {
        guard running == nil, round == finished + 1, !gathering.isEmpty else { return nil }
        running = round
        defer { gathering = [] }
        return gathering
    }

    /// The round that ran is over: its requests are served (or failed together).
    public mutating func finish(_ round: UInt64) {
        precondition(running == round, "only the round that runs finishes")
        running = nil
        finished = round
    }

    /// Whether the round that serves a request is over.
    public func isDone(_ round: UInt64) -> Bool { finished >= round }
}
