import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnderstudyCore
import UnderstudySupport

/// The node's notifications as one Service whose channels can be replaced while it runs (a reload that changed
/// `[notify]`): each event goes to the current `NotificationService`; one replaced delivers what it had queued
/// (for at most `NotificationService.drainAtShutdown`) and is let go; at the node's shutdown the current one drains.
public final class NotificationRouter: Service, Sendable {
    private let current: NIOLockedValueBox<NotificationService>
    private let logger: Logger

    public init(_ service: NotificationService, logger: Logger) {
        current = NIOLockedValueBox(service)
        self.logger = logger
    }

    /// The service events go to now.
    public var service: NotificationService { current.withLockedValue { $0 } }

    /// Returns at once; never throws.
    public func notify(_ event: NotificationEvent) {
        service.notify(event)
    }

    /// From now on events go to `replacement`; what the replaced service still holds is delivered in the
    /// background. Returns that delivery's task (tests wait for it).
    @discardableResult
    public func replace(with replacement: NotificationService) -> Task<Void, Never> {
        let replaced = current.withLockedValue { current in
            defer { current = replacement }
            return current
        }
        let logger = logger
        return Task {
            if !(await replaced.drain(timeout: NotificationService.drainAtShutdown)) {
                logger.warning(
                    "notifications queued before the reload were given up after \(NotificationService.drainAtShutdown) s"
                )
            }
        }
    }

    /// Until the node shuts down; then the current service delivers what it still holds (see
    /// `NotificationService.run`).
    public func run() async {
        await cancelWhenGracefulShutdown { await waitUntilCancelled() }
        _ = await service.drain(timeout: NotificationService.drainAtShutdown)
    }
}
