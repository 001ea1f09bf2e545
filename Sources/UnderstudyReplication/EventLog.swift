import Logging
import UnderstudyState
import UnderstudySupport

/// The node's log of events, kept in the state database and stamped by the node's clock. An event that cannot be
/// recorded (the database is full or broken) is told in the log instead, and the part that recorded it goes on.
package struct EventLog: Sendable {
    let database: StateDatabase
    let clock: any EngineClock
    let logger: Logger

    package init(database: StateDatabase, clock: any EngineClock, logger: Logger) {
        self.database = database
        self.clock = clock
        self.logger = logger
    }

    /// - Parameter share: the share key ("group/share") the event concerns, if any.
    package func record(_ level: EventLevel, _ kind: EventKind, _ message: String, share: String? = nil) {
        do {
            try database.appendEvent(
                EventRecord(
                    time: clock.wallTime(), level: level.rawValue, kind: kind.rawValue, share: share, message: message))
        } catch {
            logger.warning("could not record event \(kind): \(error)")
        }
    }
}
