import NIOConcurrencyHelpers

/// Calls its action once, when every named part has said it is up (a daemon's listeners, each bound in its own
/// task): the daemon is ready only then, whichever part comes last.
public final class ReadinessLatch: Sendable {
    private let state: NIOLockedValueBox<(waiting: Set<String>, action: (@Sendable () -> Void)?)>

    public init(parts: Set<String>, action: @escaping @Sendable () -> Void) {
        state = NIOLockedValueBox((parts, action))
        if parts.isEmpty { fire() }
    }

    /// Marks a part up; the last one calls the action (outside the lock). Marking a part twice, or one not named,
    /// changes nothing.
    public func up(_ part: String) {
        state.withLockedValue { _ = $0.waiting.remove(part) }
        fire()
    }

    private func fire() {
        let action: (@Sendable () -> Void)? = state.withLockedValue { state in
            guard state.waiting.isEmpty, let action = state.action else { return nil }
            state.action = nil
            return action
        }
        action?()
    }
}
