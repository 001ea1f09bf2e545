import Testing
@testable import UnderstudyCore

struct RejoinPlannerTests {
    private func file(_ path: String, _ size: Int64, at time: Int64, hash: UInt8? = nil) -> ManifestEntry {
        ManifestEntry(
            path: path, kind: .file, size: size,
            attributes: FileAttributes(mode: 0o644, uid: 0, gid: 0, mtimeSeconds: time, mtimeNanoseconds: 0),
            contentHash: hash.map { [UInt8](repeating: $0, count: 32) })
    }

    private func tree(_ entries: ManifestEntry...) -> [String: ManifestEntry] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.path, $0) })
    }

    @Test func unchangedHere_followsTheServingNode_copiesAndDeletions() {
        let base = tree(file("a", 1, at: 10), file("b", 1, at: 10), file("same", 3, at: 5))
        let local = base
        let remote = tree(file("a", 2, at: 20), file("new", 1, at: 30), file("same", 3, at: 5))
        let plan = RejoinPlanner().plan(local: local, remote: remote, base: base)
        #expect(plan.conflicts.isEmpty && plan.pushes.isEmpty)
        #expect(plan.copies == ["a", "new"])
        #expect(plan.deletions == ["b"])
    }

    @Test func changedHereOnly_isAVersionTheServingNodeNeverReceived_keptAsConflict() {
        let base = tree(file("db", 100, at: 10))
        let plan = RejoinPlanner().plan(local: tree(file("db", 120, at: 11)), remote: base, base: base)
        #expect(plan.conflicts.map(\.path) == ["db"])
        #expect(plan.conflicts.first?.reason == .notReplicated)
        #expect(plan.copies.isEmpty)
    }

    @Test func changedOnBothSides_isAConflict_whateverTheClocksSay() {
        // The local version has an older mtime than the base (a clock behind): still a change here.
        let base = tree(file("doc", 10, at: 100))
        let plan = RejoinPlanner().plan(
            local: tree(file("doc", 11, at: 50)), remote: tree(file("doc", 12, at: 200)), base: base)
        #expect(plan.conflicts.first?.reason == .changedOnBoth)
    }

    @Test func deletedThere_butChangedHere_isKeptAsConflict() {
        let base = tree(file("x", 1, at: 1))
        let plan = RejoinPlanner().plan(local: tree(file("x", 2, at: 2)), remote: [:], base: base)
        #expect(plan.conflicts.first?.reason == .deletedThere)
        #expect(plan.deletions.isEmpty)
    }

    @Test func newHere_neverReplicated_isAConflict_evenWithoutABaseEntry() {
        let plan = RejoinPlanner().plan(local: tree(file("late", 5, at: 9)), remote: [:], base: [:])
        #expect(plan.conflicts.first?.reason == .notReplicated)
    }

    @Test func sameContentOnBothSides_isNoConflict() {
        let plan = RejoinPlanner().plan(local: tree(file("f", 4, at: 7)), remote: tree(file("f", 4, at: 7)), base: [:])
        #expect(plan.conflicts.isEmpty && plan.copies.isEmpty)
    }

    @Test func sameSizeAndTime_butDifferentKnownHashes_isAChange() {
        let base = tree(file("f", 4, at: 7, hash: 1))
        let plan = RejoinPlanner().plan(local: tree(file("f", 4, at: 7, hash: 2)), remote: base, base: base)
        #expect(plan.conflicts.count == 1)
    }

    @Test func deletedHere_butKeptThere_comesBack() {
        let base = tree(file("keep", 1, at: 1))
        let plan = RejoinPlanner().plan(local: [:], remote: base, base: base)
        #expect(plan.restored == ["keep"] && plan.conflicts.isEmpty)
    }

    @Test func conflictCopiesLeftByAnInterruptedRejoin_arePushed_notConflictedAgain() {
        let copy = ConflictName.make(for: "dir/db", node: "alpha", time: 0)
        let plan = RejoinPlanner().plan(local: tree(file(copy, 3, at: 3)), remote: [:], base: [:])
        #expect(plan.pushes == [copy] && plan.conflicts.isEmpty)
        let done = RejoinPlanner().plan(
            local: tree(file(copy, 3, at: 3)), remote: tree(file(copy, 3, at: 3)), base: [:])
        #expect(done.isClean)
    }

    @Test func conflictNames_keepTheExtension_andTheDirectory() {
        let time = 1_795_000_000.0
        let stamp = PointInTime.compact(time)
        #expect(
            ConflictName.make(for: "docs/report.txt", node: "alpha", time: time)
                == "docs/report.understudy-conflict-alpha-\(stamp).txt")
        #expect(
            ConflictName.make(for: "Makefile", node: "beta", time: time) == "Makefile.understudy-conflict-beta-\(stamp)"
        )
        #expect(
            ConflictName.make(for: "home/.profile", node: "alpha", time: time)
                == "home/.profile.understudy-conflict-alpha-\(stamp)")
        #expect(ConflictName.isConflictCopy("docs/report.understudy-conflict-alpha-\(stamp).txt"))
        #expect(!ConflictName.isConflictCopy("docs/report.txt"))
        #expect(ConflictName.original(of: "docs/report.understudy-conflict-alpha-\(stamp).txt") == "docs/report.txt")
        #expect(ConflictName.original(of: ConflictName.make(for: "Makefile", node: "node-a", time: time)) == "Makefile")
        #expect(ConflictName.original(of: ConflictName.make(for: "h/.profile", node: "b", time: time)) == "h/.profile")
    }

    @Test func theNodeOfAConflictCopy_isReadFromItsName_dashesAndAll() {
        #expect(ConflictName.node(of: ConflictName.make(for: "d/report.txt", node: "node-a", time: 0)) == "node-a")
        #expect(ConflictName.node(of: "d/report.txt") == nil)
        #expect(ConflictName.node(of: "report.understudy-conflict-alpha.txt") == nil, "no time stamp: not one of ours")
    }

    @Test func copiesOfThePeer_withoutARecord_areFound_othersAreNot() {
        let mine = ConflictName.make(for: "a.txt", node: "alpha", time: 0)
        let recorded = ConflictName.make(for: "b.txt", node: "alpha", time: 0)
        let theirs = ConflictName.make(for: "c.txt", node: "beta", time: 0)
        let entries = [
            file(mine, 1, at: 1), file(recorded, 1, at: 1), file(theirs, 1, at: 1), file("plain.txt", 1, at: 1),
        ]
        let found = UnrecordedConflicts.find(in: entries, recorded: [recorded], peer: "alpha")
        #expect(found.map(\.path) == [mine])
    }
}
