import UnderstudyCore

/// The rejoining node's tree as its rejoin uses it: the file-system protocol behind `RejoinStepRunner`. Rejoin's
/// `RejoinShareFiles` implements it on disk (with the state database's record of each copy); the session tests
/// in memory.
package protocol RejoinFiles: AnyObject {
    /// This node's tree, with what an interrupted run recorded: why each copy it made exists, and the copies whose
    /// rename never happened.
    func scanLocal() async throws -> RejoinScan
    /// Keeps this node's version of the conflict's path as `copy`: why is recorded before the rename, and the
    /// rename is durable.
    func keep(_ conflict: RejoinPlanner.Conflict, as copy: String) throws
    /// Sends the file at `path` whole on `emit`, as a conflict copy for the serving tree: conflictBegin, its chunks,
    /// fileEnd.
    func push(
        path: String, entry: ManifestEntry, reason: String, emit: (SessionOutput) async throws -> Void)
        async throws
}

/// The rejoining node's tree as scanned for a rejoin.
package struct RejoinScan: Sendable {
    package var local: [String: ManifestEntry]
    /// Why each conflict copy an earlier run made exists, by the copy's path.
    package var recordedReasons: [String: String]
    /// Copies an earlier run recorded but never renamed, by original path.
    package var unmadeCopies: [String: String]

    package init(
        local: [String: ManifestEntry], recordedReasons: [String: String] = [:], unmadeCopies: [String: String] = [:]
    ) {
        self.local = local
        self.recordedReasons = recordedReasons
        self.unmadeCopies = unmadeCopies
    }
}

/// What a rejoin tells as it goes, and the wall clock it names copies by.
package protocol RejoinHost {
    /// Wall-clock seconds since 1970.
    func wallSeconds() -> Double
    func kept(_ conflict: RejoinPlanner.Conflict, as copy: String)
    /// The serving node holds the copy at `path` durably.
    func pushed(path: String)
}
