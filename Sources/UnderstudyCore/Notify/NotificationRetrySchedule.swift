/// When a failed delivery of a notification is tried again: 5 s, 15 s, 1 min, 5 min and 15 min after each
/// failed attempt, then given up (and logged). A mail relay that restarts or a webhook behind a deploy gets
/// the message within seconds; one that is down for long is not hammered.
public enum NotificationRetrySchedule {
    public static let delays: [Double] = [5, 15, 60, 300, 900]

    /// The number of attempts in all, the first included.
    public static var attempts: Int { delays.count + 1 }

    /// The wait before attempt `failedAttempt + 1`, after attempt `failedAttempt` (1-based) failed; nil
    /// when that was the last one.
    public static func delay(afterFailedAttempt failedAttempt: Int) -> Double? {
        guard failedAttempt >= 1, failedAttempt <= delays.count else { return nil }
        return delays[failedAttempt - 1]
    }
}
