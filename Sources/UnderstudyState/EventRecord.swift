import Foundation

/// One entry of the node's event log: something an administrator may want to read later.
public struct EventRecord: Sendable, Equatable, Codable {
    /// The levels the log accepts.
    public static let levels: Set<String> = ["info", "warning", "error"]

    /// Assigned by the database when the event is appended; nil before.
    public var id: Int64?
    public var time: Date
    /// "info", "warning" or "error".
    public var level: String
    /// A stable word for the kind of event, e.g. "sync-finished", "peer-refused", "path-refused".
    public var kind: String
    /// The share key "<group>/<share>" the event concerns, if any.
    public var share: String?
    public var message: String
    /// Who asked for what the event records (a console user, "token NAME", "control socket"); nil for the engine's
    /// own events.
    public var user: String?

    public init(
        id: Int64? = nil, time: Date, level: String, kind: String, share: String? = nil, message: String,
        user: String? = nil
    ) {
        self.user = user
        self.id = id
        self.time = time
        self.level = level
        self.kind = kind
        self.share = share
        self.message = message
    }
}
