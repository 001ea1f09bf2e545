import NIOConcurrencyHelpers

/// What the mirror of one share needs to know about its archives, set by the archive service once it has opened
/// the share's archive directory: the history keeper (when `history` is on), and whether archives share inodes
/// with the replica (hard links), so that an attribute change must not touch a shared inode.
public final class ShareArchiving: Sendable {
    struct State {
        var store: ArchiveStore?
        var keeper: HistoryKeeper?
        var sharesInodes = false
    }

    let state = NIOLockedValueBox(State())

    public init() {}

    var keeper: HistoryKeeper? { state.withLockedValue { $0.keeper } }
    var sharesInodes: Bool { state.withLockedValue { $0.sharesInodes } }
    var store: ArchiveStore? { state.withLockedValue { $0.store } }
}
