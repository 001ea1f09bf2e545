import ServiceLifecycle
import UnderstudyCore
import UnderstudyReplication
import UnderstudySupport

/// Notifies each conflict copy the serving trees take in during a rejoin.
struct ConflictNotifier: Service, Sendable {
    let node: String
    let clock: any EngineClock
    /// Subscribed before the daemon's parts start.
    let conflicts: AsyncStream<ConflictFound>
    let notify: @Sendable (NotificationEvent) -> Void

    func run() async {
        await cancelWhenGracefulShutdown {
            for await conflict in conflicts {
                notify(conflict.notification(to: node, at: clock.wallSeconds()))
            }
        }
    }
}
