import NIOConcurrencyHelpers

/// Runs each group's role changes (a holder change, a reload's new shares, a group added or removed) one after
/// another, in the order asked: two at once could leave a group followed twice, or not at all.
package final class GroupSerial: Sendable {
    private let last = NIOLockedValueBox<[String: Task<Void, Never>]>([:])

    package init() {}

    /// Runs `body` once the group's changes asked before it ended; returns when it ended.
    package func run(_ group: String, _ body: @escaping @Sendable () async -> Void) async {
        await enqueue(group, body).value
    }

    /// Queues `body` after the group's changes asked before it, in the order of the calls (a caller that cannot wait,
    /// such as a reload, keeps its order this way). Returns its task.
    @discardableResult
    package func enqueue(_ group: String, _ body: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        last.withLockedValue { last in
            let previous = last[group]
            let task = Task {
                await previous?.value
                await body()
            }
            last[group] = task
            return task
        }
    }
}
