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
}
