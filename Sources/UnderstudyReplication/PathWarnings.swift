import NIOConcurrencyHelpers

/// Which path problems were told already: a lasting one (a path too long, a directory the replica refuses) is met
/// at every sync and retry for hours, and told once. At most `limit` keys are remembered; past that, problems of new
/// paths are counted, and the count told now and then, so a tree full of them does not fill the log either.
package final class PathWarnings: Sendable {
    private struct State {
        var told: Set<String> = []
        var untold = 0
    }

    let limit: Int
    private let state = NIOLockedValueBox(State())

    init(limit: Int = 1000) {
        self.limit = limit
    }

    /// True the first time `key` is met (tell it), false after (log it at debug level at most).
    package func isNew(_ key: String) -> Bool {
        state.withLockedValue { state in
            if state.told.contains(key) { return false }
            guard state.told.count < limit else {
                state.untold += 1
                return false
            }
            state.told.insert(key)
            return true
        }
    }

    /// Problems past the limit since the last call, and starts counting afresh.
    func takeUntold() -> Int {
        state.withLockedValue { state in
            defer { state.untold = 0 }
            return state.untold
        }
    }
}
