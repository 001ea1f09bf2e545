import Testing
@testable import UnderstudyCore

private func attrs(_ mtime: Int64 = 1000, mode: UInt32 = 0o644, uid: UInt32 = 0) -> FileAttributes {
    FileAttributes(mode: mode, uid: uid, gid: 0, mtimeSeconds: mtime, mtimeNanoseconds: 5)
}
private func dir(_ path: String, _ mtime: Int64 = 1000) -> ManifestEntry {
    ManifestEntry(path: path, kind: .directory, size: 0, attributes: attrs(mtime, mode: 0o755))
}
private func file(
    _ path: String, size: Int64 = 10, mtime: Int64 = 1000, mode: UInt32 = 0o644, inode: UInt64 = 0,
    links: UInt32 = 1, hash: [UInt8]? = nil
) -> ManifestEntry {
    ManifestEntry(
        path: path, kind: .file, size: size, attributes: attrs(mtime, mode: mode), inode: inode, linkCount: links,
        contentHash: hash)
}
private func link(_ path: String, _ target: String) -> ManifestEntry {
    ManifestEntry(path: path, kind: .symlink, size: Int64(target.utf8.count), attributes: attrs(), linkTarget: target)
}

struct SyncPlannerTests {
    let planner = SyncPlanner(options: .init(compareOwnership: true, deltaThreshold: 100))

    @Test func plansNothing_whenTreesAreEqual() {
        let tree = [dir(""), dir("a"), file("a/x"), link("l", "a/x")]
        #expect(planner.plan(source: tree, replica: tree).isEmpty)
    }

    @Test func createsDirectoriesParentsFirst_andSendsNewFilesWhole() {
        let plan = planner.plan(source: [dir(""), dir("a"), dir("a/b"), file("a/b/f", size: 500)], replica: [dir("")])
        #expect(
            plan.operations == [
                .makeDirectory(path: "a"), .makeDirectory(path: "a/b"),
                .sendFile(path: "a/b/f", size: 500, basis: .none),
                .setDirectoryAttributes(path: "a/b", attributes: attrs(mode: 0o755)),
                .setDirectoryAttributes(path: "a", attributes: attrs(mode: 0o755)),
                .setDirectoryAttributes(path: "", attributes: attrs(mode: 0o755)),
            ])
        #expect(plan.filesToSend == 1)
        #expect(plan.bytesToSend == 500)
    }

    @Test func sendsDelta_whenLargeFileChanged_andWhole_whenSmall() {
        let plan = planner.plan(
            source: [dir(""), file("big", size: 1000, mtime: 2), file("small", size: 50, mtime: 2)],
            replica: [dir(""), file("big", size: 900), file("small", size: 50)])
        #expect(plan.operations.contains(.sendFile(path: "big", size: 1000, basis: .replica)))
        #expect(plan.operations.contains(.sendFile(path: "small", size: 50, basis: .none)))
    }

    @Test func sendsDelta_ofFilesFrom1KiB_overSlowLink_butWholeUnder8KiB_onLAN() {
        let source = [dir(""), file("a", size: 2000, mtime: 2), file("b", size: 8000, mtime: 2)]
        let replica = [dir(""), file("a", size: 2000), file("b", size: 8000)]
        let slow = SyncPlanner(
            options: .init(compareOwnership: true, deltaThreshold: SyncPlanner.Options.slowLinkDeltaThreshold))
        let local = SyncPlanner(options: .init(compareOwnership: true))
        let overWAN = slow.plan(source: source, replica: replica)
        let overLAN = local.plan(source: source, replica: replica)
        #expect(overWAN.operations.contains(.sendFile(path: "a", size: 2000, basis: .replica)))
        #expect(overWAN.operations.contains(.sendFile(path: "b", size: 8000, basis: .replica)))
        #expect(overLAN.operations.contains(.sendFile(path: "a", size: 2000, basis: .none)))
        #expect(overLAN.operations.contains(.sendFile(path: "b", size: 8000, basis: .none)))
    }

    @Test func sendsWhole_whenReplicaCopyIsEmpty() {
        let plan = planner.plan(
            source: [dir(""), file("f", size: 1000, mtime: 2)], replica: [dir(""), file("f", size: 0)])
        #expect(plan.operations.contains(.sendFile(path: "f", size: 1000, basis: .none)))
    }

    @Test func updatesOnlyAttributes_whenModeDiffers() {
        let plan = planner.plan(source: [dir(""), file("f", mode: 0o600)], replica: [dir(""), file("f")])
        #expect(
            plan.operations == [
                .setAttributes(path: "f", kind: .file, attributes: attrs(mode: 0o600)),
                .setDirectoryAttributes(path: "", attributes: attrs(mode: 0o755)),
            ])
    }

    @Test func ignoresOwner_whenNotComparingOwnership() {
        let lenient = SyncPlanner(options: .init(compareOwnership: false))
        var owned = file("f")
        owned.attributes.uid = 42
        #expect(lenient.plan(source: [dir(""), owned], replica: [dir(""), file("f")]).isEmpty)
        #expect(!planner.plan(source: [dir(""), owned], replica: [dir(""), file("f")]).isEmpty)
    }

    @Test func recognisesRename_bySizeAndMtime_carryingTheSourceHash() {
        let hash = [UInt8](repeating: 7, count: 32)
        let plan = planner.plan(
            source: [dir(""), dir("new"), file("new/f", size: 500, hash: hash)],
            replica: [dir(""), dir("old"), file("old/f", size: 500)])
        #expect(plan.operations.contains(.rename(from: "old/f", to: "new/f", contentHash: hash)))
        #expect(plan.filesToSend == 0)
        #expect(plan.operations.contains(.delete(path: "old")))
        #expect(!plan.operations.contains(.delete(path: "old/f")))
        let renameIndex = plan.operations.firstIndex(of: .rename(from: "old/f", to: "new/f", contentHash: hash))!
        let deleteIndex = plan.operations.firstIndex(of: .delete(path: "old"))!
        #expect(renameIndex < deleteIndex)
    }

    @Test func sendsFile_whenRenameCandidateHashIsKnownToDiffer() {
        let plan = planner.plan(
            source: [dir(""), file("b", size: 500, hash: [UInt8](repeating: 1, count: 32))],
            replica: [dir(""), file("a", size: 500, hash: [UInt8](repeating: 2, count: 32))])
        #expect(plan.operations.contains(.sendFile(path: "b", size: 500, basis: .none)))
        #expect(plan.operations.contains(.delete(path: "a")))
    }

    @Test func sendsFile_whenNoReplicaFileHasItsSizeAndMtime() {
        let plan = planner.plan(
            source: [dir(""), file("b", size: 500, mtime: 7)], replica: [dir(""), file("a", size: 500, mtime: 8)])
        #expect(plan.operations.contains(.sendFile(path: "b", size: 500, basis: .none)))
        #expect(plan.summary.renames == 0)
    }

    @Test func deletesOnlyTopmostGoneEntry_deepestFirst() {
        let plan = planner.plan(
            source: [dir("")],
            replica: [dir(""), dir("d"), dir("d/e"), file("d/e/f"), file("g"), link("h", "g")])
        #expect(
            plan.operations.filter { if case .delete = $0 { true } else { false } } == [
                .delete(path: "h"), .delete(path: "g"), .delete(path: "d"),
            ])
    }

    @Test func removesTreeFirst_whenKindChanges() {
        let plan = planner.plan(
            source: [dir(""), file("x", size: 500)], replica: [dir(""), dir("x"), file("x/inner", size: 500)])
        #expect(plan.operations.first == .removeTree(path: "x"))
        #expect(plan.operations.contains(.sendFile(path: "x", size: 500, basis: .none)))
        #expect(!plan.operations.contains(.delete(path: "x/inner")))
    }

    @Test func replacesSymlink_whenTargetChanges() {
        let plan = planner.plan(source: [dir(""), link("l", "new")], replica: [dir(""), link("l", "old")])
        #expect(plan.operations.contains(.makeSymlink(path: "l", target: "new", attributes: attrs())))
    }

    @Test func linksOtherNamesOfHardLinkedFile_afterItsLeader() {
        let source = [dir(""), file("a", size: 500, inode: 9, links: 2), file("b", size: 500, inode: 9, links: 2)]
        let plan = planner.plan(source: source, replica: [dir("")])
        #expect(plan.operations.contains(.sendFile(path: "a", size: 500, basis: .none)))
        #expect(plan.operations.contains(.makeHardLink(path: "b", target: "a")))
        #expect(!plan.operations.contains(.sendFile(path: "b", size: 500, basis: .none)))
        let replica = [dir(""), file("a", size: 500, inode: 3, links: 2), file("b", size: 500, inode: 3, links: 2)]
        #expect(planner.plan(source: source, replica: replica).isEmpty)
        let broken = [dir(""), file("a", size: 500, inode: 3), file("b", size: 500, inode: 4)]
        #expect(
            planner.plan(source: source, replica: broken).operations.contains(.makeHardLink(path: "b", target: "a")))
    }

    @Test func resumesFromPartialCopy_ofLargeNewFile() {
        let plan = planner.plan(source: [dir(""), file("big", size: 1000)], replica: [dir("")], partials: ["big": 400])
        #expect(plan.operations.contains(.sendFile(path: "big", size: 1000, basis: .partial)))
    }

    @Test func restoresDirectoryTimes_whenChildrenChange() {
        let plan = planner.plan(source: [dir(""), dir("d"), file("d/new")], replica: [dir(""), dir("d")])
        #expect(
            plan.operations.last == .setDirectoryAttributes(path: "d", attributes: attrs(mode: 0o755))
                || plan.operations.contains(.setDirectoryAttributes(path: "d", attributes: attrs(mode: 0o755))))
        let dIndex = plan.operations.firstIndex(of: .setDirectoryAttributes(path: "d", attributes: attrs(mode: 0o755)))!
        let rootIndex = plan.operations.firstIndex(
            of: .setDirectoryAttributes(path: "", attributes: attrs(mode: 0o755)))
        #expect(rootIndex == nil || dIndex < rootIndex!)
    }

    @Test func summaryCountsEveryKindOfStep() {
        let hash = [UInt8](repeating: 1, count: 32)
        let plan = planner.plan(
            source: [
                dir(""), dir("n"), file("n/r", size: 300, hash: hash), file("c", size: 500, mtime: 9), link("s", "t"),
            ],
            replica: [dir(""), file("old", size: 300, hash: hash), file("c", size: 400), file("gone", mtime: 3)])
        let summary = plan.summary
        #expect(summary.files == 1)
        #expect(summary.deltas == 1)
        #expect(summary.renames == 1)
        #expect(summary.directories == 1)
        #expect(summary.symlinks == 1)
        #expect(summary.deletions == 1)
    }
}
