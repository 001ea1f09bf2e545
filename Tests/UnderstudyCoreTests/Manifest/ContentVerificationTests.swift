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

extension ContentVerificationTests {
    /// A file sent again lands by a rename into its directory, which changes the directory's time: the plan must
    /// set it back, even when the stat comparison found the directory equal (the tamperer restored it).
    @Test func aResentFile_getsItsDirectoryTimeSetBack_deepestFirst() {
        let older = FileAttributes(mode: 0o755, uid: 0, gid: 0, mtimeSeconds: 7, mtimeNanoseconds: 5)
        let source = [
            ManifestEntry(path: "", kind: .directory, size: 0, attributes: older),
            ManifestEntry(path: "docs", kind: .directory, size: 0, attributes: older),
            ManifestEntry(path: "docs/deep", kind: .directory, size: 0, attributes: older),
            ManifestEntry(path: "docs/contract.txt", kind: .file, size: 3, attributes: attributes),
            ManifestEntry(path: "docs/deep/x", kind: .file, size: 3, attributes: attributes),
            ManifestEntry(path: "top", kind: .file, size: 3, attributes: attributes),
        ]
        let plan = SyncPlan(operations: [.setDirectoryAttributes(path: "docs/deep", attributes: older)])
        let repaired = ContentVerification.resending(["docs/contract.txt", "top"], source: source, in: plan)
        #expect(
            repaired.operations == [
                .sendFile(path: "docs/contract.txt", size: 3, basis: .none),
                .sendFile(path: "top", size: 3, basis: .none),
                .setDirectoryAttributes(path: "docs/deep", attributes: older),
                .setDirectoryAttributes(path: "docs", attributes: older),
                .setDirectoryAttributes(path: "", attributes: older),
            ])
    }
}
