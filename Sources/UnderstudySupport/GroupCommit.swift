import Foundation
import UnderstudyCore

/// Durable work done in rounds for whoever asks at the same time (see `GroupCommitMachine`): the callers of a round
/// block until it is done, and one of them does it for all. For threads that may block (a flusher's, `onThread`'s),
/// never the cooperative pool's for long.
public final class GroupCommit<Item, Failure: Error>: @unchecked Sendable {
    /// What the rounds did: requests served, and rounds run to serve them.
    public struct Figures: Sendable, Equatable {
        public var requests = 0
        public var rounds = 0

        public init(requests: Int = 0, rounds: Int = 0) {
            self.requests = requests
            self.rounds = rounds
        }
    }

    private let condition = NSCondition()
    private var machine = GroupCommitMachine<Item>()
    /// The outcome of each finished round still to be read, and by how many of its callers.
    private var outcomes: [UInt64: (failure: Failure?, readers: Int)] = [:]
    private var counted = Figures()
    private let perform: ([Item]) throws(Failure) -> Void

    /// - Parameter perform: one round's work for its requests (never empty), in the order they came.
    public init(perform: @escaping ([Item]) throws(Failure) -> Void) {
        self.perform = perform
    }

    public var figures: Figures {
        condition.lock()
        defer { condition.unlock() }
        return counted
    }

    /// Returns when a round that started after this call has done `item`'s work; throws what that round threw (to
    /// each of its callers).
    public func commit(_ item: Item) throws(Failure) {
        condition.lock()
        let round = machine.join(item)
        counted.requests += 1
        while !machine.isDone(round) {
            guard let items = machine.lead(round) else {
                condition.wait()
                continue
            }
            condition.unlock()
            let failure = Self.run(perform, items)
            condition.lock()
            machine.finish(round)
            counted.rounds += 1
            outcomes[round] = (failure, items.count)
            condition.broadcast()
        }
        let outcome = outcomes[round]!
        outcomes[round] = outcome.readers > 1 ? (outcome.failure, outcome.readers - 1) : nil
        condition.unlock()
        if let failure = outcome.failure { throw failure }
    }

    private static func run(_ perform: ([Item]) throws(Failure) -> Void, _ items: [Item]) -> Failure? {
        do throws(Failure) {
            try perform(items)
            return nil
        } catch {
            return error
        }
    }
}
