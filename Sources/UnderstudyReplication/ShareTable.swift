import NIOConcurrencyHelpers
import UnderstudyCore

/// The shares of this node's groups, each with its context (its tree, index, live status and capture), and the
/// shares whose tree may hold temporaries of a run that crashed.
public struct ShareTable: Sendable {
    package let contexts: [ShareKey: ShareContext]
    /// Shares (keys) whose tree may hold temporaries of a run that crashed: each follower removes them before its
    /// first sync.
    package let crashLeftovers = NIOLockedValueBox<Set<String>>([])

    /// Every share of the node, in the order of their keys.
    package let all: [ShareContext]

    package init(_ contexts: [ShareKey: ShareContext]) {
        self.contexts = contexts
        all = contexts.values.sorted { $0.key < $1.key }
    }

    package subscript(group group: String, share share: String) -> ShareContext? {
        contexts[ShareKey(group: group, share: share)]
    }

    /// The shares of `group`, in the order of their keys.
    package func of(group: String) -> [ShareContext] {
        all.filter { $0.groupName == group }
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
