import UnderstudyCore

/// A conflict copy the serving tree took in, for notifications and status.
package struct ConflictFound: Sendable {
    package var share: String
    package var path: String
    package var copy: String
    package var node: String
    package var reason: String

    package init(share: String, path: String, copy: String, node: String, reason: String) {
        self.share = share
        self.path = path
        self.copy = copy
        self.node = node
        self.reason = reason
    }

    /// The notification of the conflict, sent by `node` (which serves the tree that kept both versions).
    package func notification(to node: String, at time: Double) -> NotificationEvent {
        NotificationEvent(
            kind: .conflict, severity: .warning, node: node, group: share.split(separator: "/").first.map(String.init),
            topic: share + "/" + copy,
            summary:
                "conflict in \(share): \(path) was changed on \(self.node) too; its version is kept beside it as \(copy)",
            detail:
                "Reason: \(reason). Both versions are in the tree \(node) serves. See `understudy conflicts`, then resolve with `understudy conflicts resolve \(share)/\(path) --keep local|remote|both`.",
            time: time)
    }
}
