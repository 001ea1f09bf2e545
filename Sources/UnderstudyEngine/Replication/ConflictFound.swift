/// A conflict copy the serving tree took in, for notifications and status.
struct ConflictFound: Sendable {
    var share: String
    var path: String
    var copy: String
    var node: String
    var reason: String
}
