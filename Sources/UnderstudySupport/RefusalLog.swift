import Logging
import NIOConcurrencyHelpers
import UnderstudyCore

/// Where refusals of strangers go (TLS connections, heartbeats): each kind — a source address and a reason — is
/// logged at once, then at most once per window with the count held back (`LogRateLimiter`), so junk on a port
/// cannot fill the disk or hide what matters. Shared by every connection of a listener.
public final class RefusalLog: Sendable {
    private let logger: Logger
    private let now: @Sendable () -> Double
    private let limiter: NIOLockedValueBox<LogRateLimiter>

    public init(logger: Logger, window: Double = 10, now: @escaping @Sendable () -> Double = MonotonicClock.seconds) {
        self.logger = logger
        self.now = now
        limiter = NIOLockedValueBox(LogRateLimiter(window: window))
    }

    /// Logs `message` at warning level unless one like it (same `source` and `reason`) was logged within the window.
    public func refused(source: String, reason: String, _ message: String, metadata: Logger.Metadata = [:]) {
        let time = now()
        let decision = limiter.withLockedValue { $0.admit(Self.host(of: source) + " " + reason, at: time) }
        guard case .log(let suppressed, let since) = decision else { return }
        logger.warning(
            "\(message)\(LogRateLimiter.suffix(suppressed: suppressed, since: since, now: time))", metadata: metadata)
    }

    /// Logs the counts of floods that stopped within a window (nothing else would tell them).
    public func summarize() {
        let time = now()
        for (key, count, since) in limiter.withLockedValue({ $0.drain(at: time) }) {
            logger.warning(
                "\(count) more refusals of the kind '\(key)' in the last \(Int((time - since).rounded())) s, not logged one by one"
            )
        }
    }

    /// Summarizes every window until cancelled.
    public func run(every seconds: Double = 10) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(seconds))
            summarize()
        }
    }

    /// "10.0.0.9" of "10.0.0.9:51234" or "[fd00::9]:51234": a connection's port changes every time.
    static func host(of source: String) -> String {
        if source.hasPrefix("["), let end = source.firstIndex(of: "]") {
            return String(source[source.index(after: source.startIndex)..<end])
        }
        if source.filter({ $0 == ":" }).count == 1, let colon = source.lastIndex(of: ":") {
            return String(source[..<colon])
        }
        return source
    }
}
