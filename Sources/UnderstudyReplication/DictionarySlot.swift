import Synchronization

/// A share's small-file dictionary (`SmallFileDictionary`) on the node that feeds its off-site copy: none until a
/// sync to the off-site node first asks, then trained once by `DictionaryTrainer`, and again a day later (the share's
/// files change); after too few small files, again once the share has twice as many files (a new standby's replica is
/// still filling when the off-site node first connects). Shared by every copy of the share's
/// context.
package final class DictionarySlot: Sendable {
    private enum State {
        case untried
        case training
        case done(SmallFileDictionary?, at: Double)
        /// Too few small files then (`files` known to the index): tried again once there are more.
        case tooFew(files: Int, at: Double)
    }

    /// Seconds after a training before the next.
    package static let retrainAfter: Double = 86_400
    private let state = Mutex(State.untried)

    package init() {}

    /// The dictionary to use now (nil: none yet, or none pays), and whether the caller is to train one now: true once
    /// per due training, so only one runs.
    /// - Parameter files: how many files the share's index knows now.
    package func current(now: Double, files: Int) -> (dictionary: SmallFileDictionary?, train: Bool) {
        state.withLock { state in
            switch state {
            case .untried:
                state = .training
                return (nil, true)
            case .training:
                return (nil, false)
            case .tooFew(let before, _):
                // Twice as many files as the last try, and at least enough: a few tries while a replica fills.
                guard files >= max(2 * before, SmallFileDictionary.minimumSamples) else { return (nil, false) }
                state = .training
                return (nil, true)
            case .done(let dictionary, let at):
                guard now - at >= Self.retrainAfter else { return (dictionary, false) }
                state = .training
                return (dictionary, true)
            }
        }
    }

    /// A training ended (nil: no dictionary pays, or it failed).
    package func finished(_ dictionary: SmallFileDictionary?, at now: Double) {
        state.withLock { $0 = .done(dictionary, at: now) }
    }

    /// A training found too few small files among the `files` the index knew, or failed.
    package func tooFew(files: Int, at now: Double) {
        state.withLock { $0 = .tooFew(files: files, at: now) }
    }
}
