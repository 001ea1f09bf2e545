import Testing
import UnderstudyCore

struct ContentVerificationTests {
    let attributes = FileAttributes(mode: 0o644, uid: 0, gid: 0, mtimeSeconds: 1, mtimeNanoseconds: 0)

    @Test func findsFilesEqualByStat_butNotByContent_andLeavesPlannedOnesAlone() {
        let source = [
            ManifestEntry(path: "same", kind: .file, size: 3, attributes: attributes),
            ManifestEntry(path: "rotted", kind: .file, size: 3, attributes: attributes),
            ManifestEntry(path: "changing", kind: .file, size: 3, attributes: attributes),
            ManifestEntry(path: "dir", kind: .directory, size: 0, attributes: attributes),
        ]
        let plan = SyncPlan(operations: [
            .sendFile(path: "changing", size: 3, basis: .none),
            .setDirectoryAttributes(path: "dir", attributes: attributes),
        ])
        let digests: [String: [UInt8]] = ["same": [1], "rotted": [2], "changing": [9]]
        let found = ContentVerification.mismatches(source: source, plan: plan, replicaDigests: digests) { _ in [1] }
        #expect(found == ["rotted"])
        let repaired = ContentVerification.resending(found, source: source, in: plan)
        #expect(
            repaired.operations == [
                .sendFile(path: "changing", size: 3, basis: .none),
                .sendFile(path: "rotted", size: 3, basis: .none),
                .setDirectoryAttributes(path: "dir", attributes: attributes),
            ])
    }
}
