import UnderstudyCore
import UnderstudyWire

extension ChangeJournal {
    /// What a sync the standby opened with `resume` compares: only the journal's paths when the standby's replica is
    /// known to match this capture up to a point it acknowledged (and the paths are not too many), else the whole
    /// share. The scope carries the journal's point, which the standby's acknowledgement will name.
    /// - Parameter captureComplete: the capture watches the whole tree (no limit left part of it out).
    package func syncScope(captureID: UInt64, resume: ResumePoint?, captureComplete: Bool) -> SyncScope {
        let (paths, upTo) = scope()
        let live = resume?.captureID == captureID && paths.count <= SyncScope.maximumPaths
        return SyncScope(
            paths: live ? paths : nil, upTo: ResumePoint(captureID: captureID, sequence: upTo),
            captureComplete: captureComplete)
    }
}
