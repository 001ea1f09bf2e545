import Testing
import UnderstudyCore

import UnderstudySession

struct SourcePlanningTests {
    let file = FileAttributes(mode: 0o644, uid: 0, gid: 0, mtimeSeconds: 100, mtimeNanoseconds: 1)
    let directory = FileAttributes(mode: 0o755, uid: 0, gid: 0, mtimeSeconds: 50, mtimeNanoseconds: 2)

    /// A rename the standby refused before goes as a file, and the supposed source is deleted — before the
    /// directories' attributes, so the deletion does not leave the directory's time changed.
    @Test func aRefusedRename_sendsTheFile_andDeletesItsSource_beforeTheDirectoriesAttributes() {
        let source = [
            ManifestEntry(path: "", kind: .directory, size: 0, attributes: directory),
            ManifestEntry(path: "a", kind: .directory, size: 0, attributes: directory),
            ManifestEntry(path: "b", kind: .directory, size: 0, attributes: directory),
            ManifestEntry(path: "b/new", kind: .file, size: 10, attributes: file, contentHash: [1]),
        ]
        let replica = [
            "": ManifestEntry(path: "", kind: .directory, size: 0, attributes: directory),
            "a": ManifestEntry(path: "a", kind: .directory, size: 0, attributes: directory),
            "b": ManifestEntry(path: "b", kind: .directory, size: 0, attributes: directory),
            "a/old": ManifestEntry(path: "a/old", kind: .file, size: 10, attributes: file),
        ]
        let planning = SourcePlanning(
            planner: SyncPlanner(options: .init(compareOwnership: false)), refusedRenames: ["a/old\u{0}b/new"])
        let result = planning.plan(
            source: source, replica: replica, partials: [:], digests: nil, indexedHash: { _ in nil },
            readHash: { _ in nil })
        #expect(
            result.plan.operations == [
                .sendFile(path: "b/new", size: 10, basis: .none),
                .delete(path: "a/old"),
                .setDirectoryAttributes(path: "b", attributes: directory),
                .setDirectoryAttributes(path: "a", attributes: directory),
            ])
    }
}
