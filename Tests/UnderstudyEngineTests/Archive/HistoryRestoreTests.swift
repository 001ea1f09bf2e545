#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import UnderstudyArchive
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudyReplication

/// File history on the standby and `restore`, between two real daemons on loopback.
@Suite(.serialized)
struct HistoryRestoreTests {
    @Test func fileOverwritten50Times_keeps50PriorVersions_andEachRestoresAsOfItsTime() async throws {
        let lab = try await ArchiveLab.start("hist-50") { source in TestTree.write(source, "notes.txt", "version 0") }
        defer { Task { await lab.cluster.remove() } }
        var changedAt: [Double] = []
        for number in 1...50 {
            try await Task.sleep(for: .milliseconds(15))
            changedAt.append(Date().timeIntervalSince1970)
            try await lab.writeAndWait("notes.txt", "version \(number)")
        }
        // A replaced version is recorded once its sync batch is durable, a moment after the replica shows the new
        // one: the last record may still be on its way (bounded wait, 10 s).
        var response = try await lab.ask(ControlRequest.history(path: "files/data/notes.txt"))
        for _ in 0..<100 where (response.history?.count ?? 0) < 50 {
            try await Task.sleep(for: .milliseconds(100))
            response = try await lab.ask(ControlRequest.history(path: "files/data/notes.txt"))
        }
        let versions = try #require(response.history, "\(response.error ?? "")")
        #expect(versions.count == 50)
        #expect(
            versions.allSatisfy {
                $0.reason == "replaced" && ($0.size == Int64("version 0".count) || $0.size == Int64("version 10".count))
            })
        // Each kept version holds what the file was until it was replaced: as of the moment version k+1 was written on
        // the primary (the replica had version k then, it was waited for), version k comes back.
        for number in [0, 1, 17, 49] {
            let moment = changedAt[number]
            let stored = try await lab.ask(
                ControlRequest.restore(path: "files/data/notes.txt", at: moment, to: lab.cluster.root + "/r\(number)"))
            #expect(stored.ok, "\(stored.error ?? "")")
            #expect(ArchiveLab.read(lab.cluster.root + "/r\(number)/notes.txt") == "version \(number)")
        }
        // Now is the current file.
        let now = try await lab.ask(
            ControlRequest.restore(
                path: "/" + lab.cluster.replica.dropFirst() + "/notes.txt", at: Date().timeIntervalSince1970,
                to: lab.cluster.root + "/now"))
        #expect(now.ok, "\(now.error ?? "")")
        #expect(ArchiveLab.read(lab.cluster.root + "/now/notes.txt") == "version 50")
    }

    @Test func deletedFile_olderVersion_andWholeDirectory_restoreAsTheyWere_intoASeparateDirectory() async throws {
        let lab = try await ArchiveLab.start("hist-restore") { source in
            TestTree.write(source, "project/a.txt", "a1")
            TestTree.write(source, "project/sub/b.txt", "b1")
            TestTree.write(source, "project/c.txt", "c1")
        }
        defer { Task { await lab.cluster.remove() } }
        try await Task.sleep(for: .milliseconds(50))
        let before = Date().timeIntervalSince1970
        try await Task.sleep(for: .milliseconds(50))
        try await lab.writeAndWait("project/a.txt", "a2")
        unlink(lab.cluster.source + "/project/sub/b.txt")
        try await lab.waitForReplica("project/sub/b.txt", nil)
        try await lab.writeAndWait("project/new.txt", "born later")

        // A deleted file, by itself.
        let deleted = try await lab.ask(
            ControlRequest.restore(path: "files/data/project/sub/b.txt", at: before, to: lab.cluster.root + "/one"))
        #expect(deleted.ok, "\(deleted.error ?? "")")
        #expect(ArchiveLab.read(lab.cluster.root + "/one/b.txt") == "b1")
        // The whole directory as of `before`: a's old version, b back, c unchanged, no file born later.
        let tree = try await lab.ask(
            ControlRequest.restore(path: "files/data/project", at: before, to: lab.cluster.root + "/tree"))
        #expect(tree.ok, "\(tree.error ?? "")")
        #expect(tree.restore?.files == 3)
        #expect(ArchiveLab.read(lab.cluster.root + "/tree/project/a.txt") == "a1")
        #expect(ArchiveLab.read(lab.cluster.root + "/tree/project/sub/b.txt") == "b1")
        #expect(ArchiveLab.read(lab.cluster.root + "/tree/project/c.txt") == "c1")
        #expect(!FileManager.default.fileExists(atPath: lab.cluster.root + "/tree/project/new.txt"))
        // The replica itself is untouched.
        #expect(ArchiveLab.read(lab.cluster.replica + "/project/a.txt") == "a2")
        #expect(!FileManager.default.fileExists(atPath: lab.cluster.replica + "/project/sub/b.txt"))
        // The default destination is a new directory beside the archives.
        let defaulted = try await lab.ask(
            ControlRequest.restore(path: "files/data/project/a.txt", at: before))
        let destination = try #require(defaulted.restore?.destination)
        #expect(destination.hasPrefix(lab.archiveDirectory + "/restored/"))
        #expect(ArchiveLab.read(destination + "/a.txt") == "a1")
    }

    @Test func restoreFromAnArchive_andRefusals_neverWriteTheReplica() async throws {
        let lab = try await ArchiveLab.start("hist-archive", history: nil) { source in
            TestTree.write(source, "db/x.db", "monday")
        }
        defer { Task { await lab.cluster.remove() } }
        let archive = try await lab.archiveNow()
        try await lab.writeAndWait("db/x.db", "tuesday")
        let restored = try await lab.ask(
            ControlRequest.restore(path: "files/data/db", archive: archive.id, to: lab.cluster.root + "/out")
        )
        #expect(restored.ok, "\(restored.error ?? "")")
        #expect(ArchiveLab.read(lab.cluster.root + "/out/db/x.db") == "monday")
        // Restoring a file in the archive must give an independent copy: editing it must not change the archive.
        TestTree.write(lab.cluster.root + "/out", "db/x.db", "edited")
        #expect(ArchiveLab.read(lab.archiveDirectory + "/archives/\(archive.id)/db/x.db") == "monday")
        // --at before any history, with an archive before it: the archive answers, and says so.
        let byTime = try await lab.ask(
            ControlRequest.restore(
                path: "files/data/db/x.db", at: Date().timeIntervalSince1970, to: lab.cluster.root + "/t"))
        #expect(byTime.ok && byTime.restore?.notes.first?.contains(archive.id) == true, "\(byTime.error ?? "")")
        let early = try await lab.ask(
            ControlRequest.restore(path: "files/data/db/x.db", at: 1_000_000, to: lab.cluster.root + "/e"))
        #expect(!early.ok && early.error?.contains("nothing reaches back") == true, "\(early.error ?? "")")
        let inPlace = try await lab.ask(
            ControlRequest.restore(path: "files/data/db/x.db", archive: archive.id, inPlace: true))
        #expect(!inPlace.ok && inPlace.error?.contains("follows alpha") == true, "\(inPlace.error ?? "")")
        let inside = try await lab.ask(
            ControlRequest.restore(path: "files/data/db/x.db", archive: archive.id, to: lab.cluster.replica + "/db"))
        #expect(!inside.ok && inside.error?.contains("inside the replica") == true, "\(inside.error ?? "")")
        #expect(inside.error?.contains("resolves to") == true)
        #expect(ArchiveLab.read(lab.cluster.replica + "/db/x.db") == "tuesday")
    }

    @Test func restoreTo_throughDotDotOrASymlink_intoTheReplicaOrItsArchives_isRefused_andWritesNothing() async throws {
        let lab = try await ArchiveLab.start("hist-guard", history: nil) { source in
            TestTree.write(source, "db/x.db", "monday")
        }
        defer { Task { await lab.cluster.remove() } }
        let archive = try await lab.archiveNow()
        try await lab.writeAndWait("db/x.db", "tuesday")
        let root = lab.cluster.root
        symlink(lab.cluster.replica, root + "/innocent-looking")
        let hostile = [
            root + "/nowhere/../replica", root + "/innocent-looking/db", root + "/innocent-looking",
            lab.archiveDirectory + "/x", root,
        ]
        for destination in hostile {
            let refused = try await lab.ask(
                ControlRequest.restore(path: "files/data/db/x.db", archive: archive.id, to: destination))
            #expect(
                !refused.ok && refused.error?.contains("resolves to") == true, "\(destination): \(refused.error ?? "") "
            )
        }
        #expect(ArchiveLab.read(lab.cluster.replica + "/db/x.db") == "tuesday")
        #expect(!FileManager.default.fileExists(atPath: lab.cluster.replica + "/x.db"))
        #expect(!FileManager.default.fileExists(atPath: root + "/nowhere"), "nothing made on the way")
    }

    @Test func restoreTo_aDirectoryHoldingTheFile_leavesItAsItIs_unlessOverwrite_whichMovesItAsideFirst() async throws {
        let lab = try await ArchiveLab.start("hist-nooverwrite", history: nil) { source in
            TestTree.write(source, "db/x.db", "monday")
            TestTree.write(source, "db/y.db", "monday y")
        }
        defer { Task { await lab.cluster.remove() } }
        let archive = try await lab.archiveNow()
        let out = lab.cluster.root + "/out"
        TestTree.write(out, "db/x.db", "someone's work, written after the archive")
        let kept = try await lab.ask(
            ControlRequest.restore(path: "files/data/db", archive: archive.id, to: out))
        #expect(kept.ok, "\(kept.error ?? "")")
        #expect(
            ArchiveLab.read(out + "/db/x.db") == "someone's work, written after the archive",
            "an existing file is not replaced unless asked")
        #expect(ArchiveLab.read(out + "/db/y.db") == "monday y")
        #expect(
            kept.restore?.files == 1
                && kept.restore?.notes.contains {
                    $0.contains("1 files exist at the destination and were left as they are")
                } == true, "\(String(describing: kept.restore))")
        let replaced = try await lab.ask(
            ControlRequest.restore(path: "files/data/db", archive: archive.id, to: out, overwrite: true))
        #expect(replaced.ok, "\(replaced.error ?? "")")
        #expect(ArchiveLab.read(out + "/db/x.db") == "monday")
        let aside = try #require(
            try FileManager.default.contentsOfDirectory(atPath: out + "/db").first {
                $0.hasPrefix("x.db.understudy-replaced-")
            })
        #expect(
            ArchiveLab.read(out + "/db/" + aside) == "someone's work, written after the archive", "kept aside, not lost"
        )
        #expect(replaced.restore?.replaced == 2)
    }

    @Test func inPlaceRestore_onTheNodeThatHoldsTheGroup_replacesLiveFiles_andKeepsThemInTheHistory() async throws {
        let lab = try await ArchiveLab.start("hist-inplace") { source in
            TestTree.write(source, "site/index.html", "good")
            TestTree.write(source, "site/other.html", "untouched")
        }
        defer { Task { await lab.cluster.remove() } }
        try await Task.sleep(for: .milliseconds(50))
        let good = Date().timeIntervalSince1970
        try await Task.sleep(for: .milliseconds(50))
        try await lab.writeAndWait("site/index.html", "defaced")
        await lab.cluster.stop("alpha")
        await lab.cluster.stop("beta")
        // beta took the group over (as after a takeover): its replica is the live data, restored in place.
        let runtime = try NodeRuntime(
            configuration: lab.cluster.configuration, name: "beta", logger: lab.cluster.logs.logger("beta-owner"))
        runtime.setOwnership(GroupOwnership(epoch: 2, owner: "beta"), group: "files")
        let service = ArchiveService(node: runtime, notify: { _ in })
        let report = try await service.restore(path: "files/data/site", archive: nil, at: good, to: nil, inPlace: true)
        #expect(report.files == 2 && report.replaced == 2)
        #expect(ArchiveLab.read(lab.cluster.replica + "/site/index.html") == "good")
        #expect(ArchiveLab.read(lab.cluster.replica + "/site/other.html") == "untouched")
        // The restore can itself be undone: what it replaced is in the history, as "restored-over".
        let kept = try runtime.database.history(share: "files/data", path: "site/index.html").filter {
            $0.reason == "restored-over"
        }
        let stored = try #require(kept.last?.stored)
        #expect(ArchiveLab.read(lab.archiveDirectory + "/history/" + stored) == "defaced")
        // Nothing was written outside the replica: no temporaries left beside the files.
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: lab.cluster.replica + "/site").sorted() == [
                "index.html", "other.html",
            ])
    }

    @Test func expiredHistory_isRemoved_recordsAndKeptCopies() async throws {
        let lab = try await ArchiveLab.start("hist-expire") { source in TestTree.write(source, "f.txt", "0") }
        defer { Task { await lab.cluster.remove() } }
        for number in 1...5 { try await lab.writeAndWait("f.txt", "\(number)") }
        await lab.cluster.stop("beta")
        // The same node's archive service, two hours later (window 1h): every kept version has expired.
        let runtime = try NodeRuntime(
            configuration: lab.cluster.configuration, name: "beta", logger: lab.cluster.logs.logger("later"))
        let later = ArchiveService(node: runtime, notify: { _ in }, clock: { Date().timeIntervalSince1970 + 7200 })
        let context = try #require(runtime.shares.all.first)
        try await later.openStore(context)
        #expect(try runtime.database.history(share: "files/data", path: "f.txt").count == 5)
        await later.expireHistory(context, now: Date().timeIntervalSince1970 + 7200)
        #expect(try runtime.database.history(share: "files/data", path: "f.txt").isEmpty)
        let shards = try FileManager.default.contentsOfDirectory(atPath: lab.archiveDirectory + "/history")
        let kept = try shards.flatMap {
            try FileManager.default.contentsOfDirectory(atPath: lab.archiveDirectory + "/history/" + $0)
        }
        #expect(kept.isEmpty, "\(kept)")
    }
}
