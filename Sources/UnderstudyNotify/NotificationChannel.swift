/// Somewhere a notification goes: email, a webhook, a command. `deliver` makes one attempt and throws an
/// error whose description says what failed; the service logs it and retries on its schedule.
public protocol NotificationChannel: Sendable {
    /// "email to ops@example.com", "webhook https://hooks.example.com/x", "command /usr/local/bin/page".
    var name: String { get }
    func deliver(_ message: NotificationMessage) async throws
}
