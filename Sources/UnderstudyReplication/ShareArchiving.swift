import NIOConcurrencyHelpers
import UnderstudyFileSystem
import UnderstudyState

/// The share's history as the mirror sees it: a place to keep each replaced version, whose records the sync
/// stores once the batch that replaced them is durable.
public protocol ShareHistory: ReplacedVersionKeeper {
    /// The records kept since the last call, and how many versions could not be kept (a link failed).
    func take() -> (records: [HistoryRecord], failures: Int)
}

/// What the mirror of one share needs to know about its archives, set by the archive part once it has opened the
/// share's archive directory: where replaced versions go (when `history` is on), and whether archives share inodes
/// with the replica (hard links), so that an attribute change must not touch a shared inode.
public final class ShareArchiving: Sendable {
    private struct State {
        var history: (any ShareHistory)?
        var sharesInodes = false
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    package var history: (any ShareHistory)? { state.withLockedValue { $0.history } }
    var sharesInodes: Bool { state.withLockedValue { $0.sharesInodes } }

    /// Set when the share's archive directory is opened.
    package func attach(history: (any ShareHistory)?, sharesInodes: Bool) {
        state.withLockedValue {
            $0.history = history
            $0.sharesInodes = sharesInodes
        }
    }

    /// Set once an archive shares inodes with the replica.
    package func noteSharedInodes() {
        state.withLockedValue { $0.sharesInodes = true }
    }
}
