#if canImport(Glibc)
import Glibc
#endif
import Logging
import ServiceLifecycle
import UnderstudySupport

/// Tells the service manager (systemd, `Type=notify`) how the daemon is: `READY=1` once the node is ready (its groups
/// started, its listeners bound), a `STATUS=` line with the node's state every ten seconds (`systemctl status` shows
/// it), `WATCHDOG=1` at half the manager's watchdog timeout (`WatchdogSec=`) and `STOPPING=1` at a clean stop. The
/// watchdog's keep-alive goes only after the node's state was read, so a daemon whose state can no longer be read
/// is restarted by the manager.
struct ServiceManagerService: Service {
    enum Event { case ready, tick }

    let socket: ServiceManagerSocket
    /// Ends when the node is ready (`NodeDaemon`'s `onReady`).
    let ready: AsyncStream<Void>
    /// The node's one-line state (`NodeDaemon.statusLine`).
    let status: @Sendable () -> String
    let logger: Logger
    /// How often the status line is sent when no watchdog asks for more.
    static let statusInterval: Duration = .seconds(10)

    /// The interval between messages: the status interval, or half the watchdog's timeout when that is shorter.
    var interval: Duration {
        guard let timeout = socket.watchdogTimeout else { return Self.statusInterval }
        return min(Self.statusInterval, max(timeout / 2, .milliseconds(100)))
    }

    func run() async throws {
        logger.info(
            "service manager at NOTIFY_SOCKET=\(socket.address)\(socket.watchdogTimeout.map { ", watchdog timeout \($0)" } ?? "")"
        )
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [ready] in
                for await _ in ready {}
                if !Task.isCancelled { continuation.yield(.ready) }
            }
            group.addTask { [interval] in
                while (try? await Task.sleep(for: interval)) != nil { continuation.yield(.tick) }
            }
            _ = try? await cancelWhenGracefulShutdown { await notify(events) }
            group.cancelAll()
        }
        continuation.finish()
        send("STOPPING=1\nSTATUS=stopping")
    }

    private func notify(_ events: AsyncStream<Event>) async {
        let keepAlive = socket.watchdogTimeout != nil
        var isReady = false
        for await event in events {
            switch event {
            case .ready where !isReady:
                isReady = true
                send("READY=1\nMAINPID=\(getpid())\nSTATUS=\(status())")
                logger.info("told the service manager that the node is ready")
            case .ready:
                break
            case .tick:
                // Before ready, only the keep-alive: the manager's start timeout bounds a start.
                var lines = isReady ? ["STATUS=\(status())"] : []
                if keepAlive { lines.append("WATCHDOG=1") }
                if !lines.isEmpty { send(lines.joined(separator: "\n")) }
            }
        }
    }

    private func send(_ message: String) {
        do {
            try socket.send(message)
        } catch {
            logger.warning("\(error)")
        }
    }
}
