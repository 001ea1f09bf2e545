import UnderstudyCore
import UnderstudySupport

/// `[notify.command]`: runs the command with `/bin/sh -c` and the event in UNDERSTUDY_* variables
/// (see `NotificationMessage.environment`). Exit 0 within the timeout is a delivery; anything else fails the
/// attempt with the command's output.
public struct CommandNotifier: NotificationChannel {
    public let configuration: CommandNotification

    public init(configuration: CommandNotification) {
        self.configuration = configuration
    }

    public var name: String { "command \(configuration.command)" }

    public func deliver(_ message: NotificationMessage) async throws {
        let outcome = await ProcessRunner.run(
            configuration.command, environment: message.environment,
            timeout: configuration.timeout.seconds, outputLimit: 4096)
        guard outcome.succeeded else { throw CommandNotifierError(command: configuration.command, outcome: outcome) }
    }
}

/// The notification command failed: its summary ("exit 1 in 0.1 s") and output.
public struct CommandNotifierError: Error, Sendable, CustomStringConvertible {
    public let command: String
    public let outcome: ProcessOutcome

    public var description: String { "notification command \(command): \(outcome)" }
}
