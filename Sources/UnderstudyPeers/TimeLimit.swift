import NIOConcurrencyHelpers
import UnderstudySupport
import UnderstudyTransport

/// Runs `body` as a task of its own for at most `seconds`; past it the task is cancelled, not awaited: a connection
/// stuck where cancellation does not reach (a TLS handshake that never ends) must not stop the caller for good.
func withTimeLimit<T: Sendable>(
    _ seconds: Double, clock: any EngineClock, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = NIOLockedValueBox<Result<T, any Error>?>(nil)
    let attempt = Task {
        do {
            let value = try await body()
            outcome.withLockedValue { $0 = .success(value) }
        } catch {
            outcome.withLockedValue { $0 = .failure(error) }
        }
    }
    let deadline = clock.monotonicSeconds() + seconds
    while outcome.withLockedValue({ $0 }) == nil && clock.monotonicSeconds() < deadline {
        if Task.isCancelled {
            attempt.cancel()
            throw CancellationError()
        }
        try? await clock.sleep(seconds: 0.02)
    }
    guard let result = outcome.withLockedValue({ $0 }) else {
        attempt.cancel()
        throw NetworkFailure(kind: .timedOut, text: "no answer within \(Int(seconds)) s")
    }
    return try result.get()
}
