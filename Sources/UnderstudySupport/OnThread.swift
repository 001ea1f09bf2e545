import Foundation

/// Runs blocking work (walking a big tree, control socket calls, hashing) on a thread of its own, so it never
/// starves Swift's cooperative pool — two threads on a two-core machine — that the connections need.
public func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do {
                continuation.resume(returning: try body())
            } catch {
                continuation.resume(throwing: error)
            }
        }
        thread.start()
    }
}
