import UnderstudyCore

/// The kind of an event of the node's log: a stable word that `understudy status`, the API and scripts match on.
/// The engine's own kinds are named here, so a part cannot record a misspelt one; a notification is recorded under
/// its own kind (`init(_:)`), and a kind read back from an older database keeps its word (`init(rawValue:)`).
public struct EventKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// The kind of a notification, recorded in the log as it is sent.
    public init(_ notification: NotificationEvent.Kind) { rawValue = notification.rawValue }

    public var description: String { rawValue }

    // The node.
    public static let nodeStarted = EventKind(rawValue: "node-started")
    public static let nodeStopped = EventKind(rawValue: "node-stopped")
    /// A group a reload added to or removed from the running node.
    public static let groupAdded = EventKind(rawValue: "group-added")
    public static let groupRemoved = EventKind(rawValue: "group-removed")
    public static let peerDisconnected = EventKind(rawValue: "peer-disconnected")
    // The mirror.
    public static let syncFinished = EventKind(rawValue: "sync-finished")
    public static let syncFailed = EventKind(rawValue: "sync-failed")
    public static let syncInterrupted = EventKind(rawValue: "sync-interrupted")
    public static let pathRefused = EventKind(rawValue: "path-refused")
    public static let verifyClean = EventKind(rawValue: "verify-clean")
    public static let verifyRepaired = EventKind(rawValue: "verify-repaired")
    public static let captureIncomplete = EventKind(rawValue: "capture-incomplete")
    public static let captureFailed = EventKind(rawValue: "capture-failed")
    public static let replicaAdopted = EventKind(rawValue: "replica-adopted")
    public static let replicaNotAdopted = EventKind(rawValue: "replica-not-adopted")
    public static let temporariesRemoved = EventKind(rawValue: "temporaries-removed")
    public static let mirrorMoved = EventKind(rawValue: "mirror-moved")
    public static let replicaFull = EventKind(rawValue: "replica-full")
    public static let replicaSpaceRecovered = EventKind(rawValue: "replica-space-recovered")
    // Who serves.
    public static let takeover = EventKind(rawValue: "takeover")
    public static let release = EventKind(rawValue: "release")
    public static let rejoinStarted = EventKind(rawValue: "rejoin-started")
    public static let rejoinFinished = EventKind(rawValue: "rejoin-finished")
    /// An agentless group handed back to its primary (its changes copied back through the mounts).
    public static let failback = EventKind(rawValue: "failback")
    public static let conflict = EventKind(rawValue: "conflict")
    public static let conflictResolved = EventKind(rawValue: "conflict-resolved")
    // Archives.
    public static let archiveTaken = EventKind(rawValue: "archive-taken")
    public static let archiveInterrupted = EventKind(rawValue: "archive-interrupted")
    public static let archiveRemoved = EventKind(rawValue: "archive-removed")
    public static let archiveFailed = EventKind(rawValue: "archive-failed")
    public static let restored = EventKind(rawValue: "restored")
    // Proofs of readiness.
    public static let proofPassed = EventKind(rawValue: "proof-passed")
    public static let proofFailed = EventKind(rawValue: "proof-failed")
    public static let configChanged = EventKind(rawValue: "config-changed")
    // Requests of the CLI and the API that change something, with who asked.
    public static let action = EventKind(rawValue: "action")
}
