import Foundation

/// A thread that a Service starts and joins when it stops: its body runs a loop that checks a flag the Service
/// clears, and `join` waits for the body to return (on a thread of its own, never holding the cooperative pool).
public final class OwnedThread: Sendable {
    private let ended = DispatchSemaphore(value: 0)

    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        let ended = ended
        let thread = Thread {
            defer { ended.signal() }
            body()
        }
        thread.name = name
        thread.start()
    }

    /// Waits until the body has returned, at most `seconds`; true when it did.
    @discardableResult
    public func join(waitingAtMost seconds: Double) async -> Bool {
        let ended = ended
        return (try? await onThread { ended.wait(timeout: .now() + seconds) == .success }) ?? false
    }
}
