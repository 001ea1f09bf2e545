/// A replica whose file system ran out of space (pure; times are arguments). Its group's mirror stops, so that it
/// does not fill the disk again at every retry and take the room the other groups on that disk need; it tries again
/// when there is room for what the failed sync still needed (with a margin), when someone asks for a sync, or when
/// `retryAfter` has passed (the source may have shrunk meanwhile).
public struct ReplicaRoom: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// Writes succeed (as far as this replica knows).
        case room
        /// A write failed for lack of space at `since`; `path` is the file it was writing, `neededBytes` what the sync
        /// still had to receive then. `alerted`: the administrator has been told of this shortage.
        case full(since: Double, path: String, neededBytes: Int64, alerted: Bool)
        /// Trying again after a shortage that began at `since`; a sync that succeeds ends it.
        case retrying(since: Double)
    }

    /// The longest the mirror stays stopped without room appearing: then it tries anyway.
    public static let retryAfter = 600.0
    /// How often the free space is measured while stopped.
    public static let checkInterval = 5.0

    public private(set) var state: State = .room

    public init() {}

    public var isFull: Bool {
        if case .full = state { return true }
        return false
    }

    /// A write failed for lack of space; returns true for the first failure of a shortage (the one to log loudly).
    @discardableResult
    public mutating func ranOut(path: String, neededBytes: Int64, at now: Double) -> Bool {
        switch state {
        case .room:
            state = .full(since: now, path: path, neededBytes: neededBytes, alerted: false)
            return true
        case .retrying(let since):
            // Still no room: the shortage goes on, and was told already.
            state = .full(since: since, path: path, neededBytes: neededBytes, alerted: true)
            return true
        case .full:
            return false
        }
    }

    /// Whether the shortage must be told now (once per shortage); marks it told.
    public mutating func takeAlert() -> Bool {
        guard case .full(let since, let path, let needed, false) = state else { return false }
        state = .full(since: since, path: path, neededBytes: needed, alerted: true)
        return true
    }

    /// The room a retry waits for: what the sync still needed, plus 1 % of the file system (at least 1 MiB) for
    /// the other groups and the temporaries.
    public static func wanted(neededBytes: Int64, totalBytes: Int64) -> Int64 {
        neededBytes + max(1 << 20, totalBytes / 100)
    }

    /// Whether to try again now, with `availableBytes` free of `totalBytes`.
    public func shouldRetry(availableBytes: Int64, totalBytes: Int64, asked: Bool, at now: Double) -> Bool {
        guard case .full(let since, _, let needed, _) = state else { return true }
        return asked || now - since >= Self.retryAfter
            || availableBytes >= Self.wanted(neededBytes: needed, totalBytes: totalBytes)
    }

    /// A retry begins.
    public mutating func retry() {
        guard case .full(let since, _, _, _) = state else { return }
        state = .retrying(since: since)
    }

    /// A sync finished without running out of space: returns when the shortage began, if this ends one.
    public mutating func succeeded() -> Double? {
        guard case .retrying(let since) = state else { return nil }
        state = .room
        return since
    }
}
