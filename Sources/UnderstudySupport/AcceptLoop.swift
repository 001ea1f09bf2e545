import NIOConcurrencyHelpers
import NIOCore

/// Serves the connections a listener accepts until the calling task is cancelled, then closes the listener, closes
/// what was accepted but not yet served, and cancels what is being served.
///
/// The loop runs in a task of its own, which the caller's cancellation does not reach: a cancelled loop would drop
/// the connections accepted but not yet taken, and NIO traps on a connection whose channel was never closed.
public enum AcceptLoop {
    public static func run<Connection: Sendable>(
        _ server: NIOAsyncChannel<Connection, Never>,
        close: @escaping @Sendable (Connection) async -> Void,
        serve: @escaping @Sendable (Connection) async -> Void
    ) async throws {
        let stopping = NIOLockedValueBox(false)
        let loop = Task {
            try await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        if stopping.withLockedValue({ $0 }) {
                            await close(connection)
                            continue
                        }
                        group.addTask { await serve(connection) }
                    }
                    group.cancelAll()
                }
            }
        }
        try await withTaskCancellationHandler {
            try await loop.value
        } onCancel: {
            stopping.withLockedValue { $0 = true }
            server.channel.close(promise: nil)
        }
    }
}
