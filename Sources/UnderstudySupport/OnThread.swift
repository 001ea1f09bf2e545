import Foundation

/// Runs blocking work (walking a big tree, control socket calls, hashing, a commit's fsync) on a thread of
/// `BlockingThreads`, so it never starves Swift's cooperative pool — two threads on a two-core machine — that the
/// connections need. The job never waits behind another.
public func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        BlockingThreads.shared.run {
            do {
                continuation.resume(returning: try body())
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}
