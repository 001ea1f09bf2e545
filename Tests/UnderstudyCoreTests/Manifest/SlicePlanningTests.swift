import Testing
@testable import UnderstudyCore

private func attrs(_ mtime: Int64 = 1000, mode: UInt32 = 0o644) -> FileAttributes {
    FileAttributes(mode: mode, uid: 0, gid: 0, mtimeSeconds: mtime, mtimeNanoseconds: 5)
}
private func dir(_ path: String, _ mtime: Int64 = 1000) -> ManifestEntry {
    ManifestEntry(path: path, kind: .directory, size: 0, attributes: attrs(mtime, mode: 0o755))
}
private func file(_ path: String, inode: UInt64 = 0, links: UInt32 = 1, mtime: Int64 = 1000) -> ManifestEntry {
    ManifestEntry(path: path, kind: .file, size: 10, attributes: attrs(mtime), inode: inode, linkCount: links)
}
private func byPath(_ entries: [ManifestEntry]) -> [String: ManifestEntry] {
    Dictionary(uniqueKeysWithValues: entries.map { ($0.path, $0) })
}

/// The plan of one slice of a sliced comparison: what it needs from outside the slice.
struct SlicePlanningTests {
    let planner = SyncPlanner(options: .init(compareOwnership: true))

    @Test func theDirectoriesAboveASlice_getTheirTimesBack_onlyWhenTheSliceChangedSomethingInside() {
        let surroundings = SliceSurroundings(directories: [dir(""), dir("a", 7), dir("a/b", 8)])
        let changed = planner.plan(
            source: [file("a/b/new")], replicaByPath: [:], surroundings: surroundings)
        #expect(
            changed.operations == [
                .sendFile(path: "a/b/new", size: 10, basis: .none),
                .setDirectoryAttributes(path: "a/b", attributes: attrs(8, mode: 0o755)),
            ])
        let unchanged = planner.plan(
            source: [file("a/b/same")], replicaByPath: byPath([file("a/b/same")]), surroundings: surroundings)
        #expect(unchanged.isEmpty)
        let deleted = planner.plan(
            source: [file("a/b/kept")], replicaByPath: byPath([file("a/b/kept"), file("a/gone")]),
            surroundings: surroundings)
        #expect(
            deleted.operations == [
                .delete(path: "a/gone"), .setDirectoryAttributes(path: "a", attributes: attrs(7, mode: 0o755)),
            ])
    }

    @Test func aNewNameOfAFileFirstNamedInAnEarlierSlice_isLinkedToThatName() {
        let earlier = [UInt64(9): SliceSurroundings.LinkLeader(path: "a/first", replicaInode: 90, sent: false)]
        let plan = planner.plan(
            source: [file("z/second", inode: 9, links: 2)], replicaByPath: [:],
            surroundings: SliceSurroundings(earlierLeaders: earlier))
        #expect(plan.operations == [.makeHardLink(path: "z/second", target: "a/first")])
    }

    @Test func aNameAlreadyLinkedOnTheReplica_staysUnlessItsLeaderWasSentAgain() {
        let source = [file("z/second", inode: 9, links: 2)]
        let replica = byPath([file("z/second", inode: 90, links: 2)])
        let kept = SliceSurroundings(earlierLeaders: [9: .init(path: "a/first", replicaInode: 90, sent: false)])
        #expect(planner.plan(source: source, replicaByPath: replica, surroundings: kept).isEmpty)
        let resent = SliceSurroundings(earlierLeaders: [9: .init(path: "a/first", replicaInode: 90, sent: true)])
        #expect(
            planner.plan(source: source, replicaByPath: replica, surroundings: resent).operations == [
                .makeHardLink(path: "z/second", target: "a/first")
            ])
        let separate = SliceSurroundings(earlierLeaders: [9: .init(path: "a/first", replicaInode: 77, sent: false)])
        #expect(
            planner.plan(source: source, replicaByPath: replica, surroundings: separate).operations == [
                .makeHardLink(path: "z/second", target: "a/first")
            ])
    }

    @Test func theLeadersCarriedForward_areTheFirstNamesOfGroupsBeginningInTheSlice_withWhatTheSliceDid() {
        let source = [
            file("a", inode: 1, links: 2), file("b", inode: 1, links: 2), file("c", inode: 2, links: 3),
            file("d", inode: 3, links: 2), file("e"),
        ]
        let replica = byPath([file("a", inode: 11, links: 2), file("b", inode: 11, links: 2)])
        let earlier = [UInt64(3): SliceSurroundings.LinkLeader(path: "0", replicaInode: nil, sent: true)]
        let plan = planner.plan(
            source: source, replicaByPath: replica, surroundings: SliceSurroundings(earlierLeaders: earlier))
        let carried = SliceSurroundings.leaders(beginningIn: source, replica: replica, plan: plan, earlier: earlier)
        #expect(
            carried == [
                1: .init(path: "a", replicaInode: 11, sent: false),
                2: .init(path: "c", replicaInode: nil, sent: true),
            ])
        #expect(plan.operations.contains(.makeHardLink(path: "d", target: "0")))
    }
}
