/// Runs each group's role changes (a holder change, a reload's new shares) one after another, in the order asked:
/// two at once could leave a group followed twice, or not at all.
package actor GroupSerial {
    private var last: [String: Task<Void, Never>] = [:]

    package init() {}

    /// Runs `body` once the group's changes asked before it ended; returns when it ended.
    package func run(_ group: String, _ body: @escaping @Sendable () async -> Void) async {
        let previous = last[group]
        let task = Task {
            await previous?.value
            await body()
        }
        last[group] = task
        await task.value
    }
}
