import NIOConcurrencyHelpers

/// The shares of the node's groups, by group and share name. A reload that adds or removes shares of a group changes
/// it (`replace(group:with:)`); the parts look shares up here each time, so they see the change.
public final class ShareTable: Sendable {
    private let state: NIOLockedValueBox<(contexts: [ShareKey: ShareContext], version: Int)>
    /// Shares (keys) whose tree may hold temporaries of a run that crashed: each follower removes them before its
    /// first sync.
    package let crashLeftovers = NIOLockedValueBox<Set<String>>([])

    package init(_ contexts: [ShareKey: ShareContext]) {
        state = NIOLockedValueBox((contexts, 0))
    }

    package var contexts: [ShareKey: ShareContext] { state.withLockedValue { $0.contexts } }

    /// Every share of the node, in the order of their keys.
    package var all: [ShareContext] { contexts.values.sorted { $0.key < $1.key } }

    /// Counts the changes of the table (a part that subscribed to each share looks again when it moved).
    package var version: Int { state.withLockedValue { $0.version } }

    package subscript(group group: String, share share: String) -> ShareContext? {
        state.withLockedValue { $0.contexts[ShareKey(group: group, share: share)] }
    }

    /// The shares of `group`, in the order of their keys.
    package func of(group: String) -> [ShareContext] {
        all.filter { $0.groupName == group }
    }

    /// Makes `contexts` the shares of `group` (a reload): the others of the group leave the table. Returns those that
    /// left.
    @discardableResult
    package func replace(group: String, with contexts: [ShareContext]) -> [ShareContext] {
        state.withLockedValue { state in
            // By the context itself, not its key: a share made anew under the same name replaces the old one.
            let leaving = state.contexts.values.filter { context in
                context.groupName == group && !contexts.contains { $0.settings === context.settings }
            }
            for context in leaving { state.contexts[ShareKey(group: group, share: context.shareName)] = nil }
            for context in contexts { state.contexts[ShareKey(group: group, share: context.shareName)] = context }
            state.version += 1
            return leaving.sorted { $0.key < $1.key }
        }
    }
}

public struct ShareKey: Hashable, Sendable {
    public var group: String
    public var share: String

    public init(group: String, share: String) {
        self.group = group
        self.share = share
    }
}
