#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import UnderstudyArchive
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudySupport

/// Archives of a real replica, taken by the standby daemon on request, between two real daemons on loopback.
@Suite(.serialized)
struct ArchiveServiceTests {
    @Test func archive_sharesUnchangedFilesWithTheReplica_andAChangedFileCostsOnlyItself() async throws {
        let lab = try await ArchiveLab.start("arch-share", history: nil) { source in
            for index in 0..<200 { TestTree.write(source, "docs/\(index).txt", "document \(index)") }
            TestTree.write(source, "db/main.db", "version 1")
        }
        defer { Task { await lab.cluster.remove() } }
        let first = try await lab.archiveNow()
        #expect(first.state == .complete && first.files == 201 && first.method == "hardlink")
        let firstRoot = lab.archiveDirectory + "/archives/" + first.id
        #expect(ArchiveLab.inode(firstRoot + "/docs/7.txt") == ArchiveLab.inode(lab.cluster.replica + "/docs/7.txt"))

        try await lab.writeAndWait("db/main.db", "version 2")
        let second = try await lab.archiveNow()
        let secondRoot = lab.archiveDirectory + "/archives/" + second.id
        // Unchanged files: one inode for the replica and both archives; the changed one: the old archive keeps the old.
        #expect(ArchiveLab.inode(secondRoot + "/docs/7.txt") == ArchiveLab.inode(firstRoot + "/docs/7.txt"))
        #expect(ArchiveLab.read(firstRoot + "/db/main.db") == "version 1")
        #expect(ArchiveLab.read(secondRoot + "/db/main.db") == "version 2")
        #expect(ArchiveLab.inode(secondRoot + "/db/main.db") == ArchiveLab.inode(lab.cluster.replica + "/db/main.db"))

        let listed = try await lab.ask(ControlRequest.archives(group: "files", share: "data"))
        let infos = try #require(listed.archives)
        #expect(infos.map(\.id) == [first.id, second.id])
        // Only the old version of db/main.db is the first archive's own; the second shares everything.
        let firstOwn = try #require(infos[0].exclusiveBytes)
        let secondOwn = try #require(infos[1].exclusiveBytes)
        #expect(firstOwn < secondOwn + 16 * 4096, "first \(firstOwn), second \(secondOwn)")
        var info = stat()
        lstat(firstRoot + "/db/main.db", &info)
        #expect(info.st_nlink == 1)
    }

    @Test func attributeChange_onAnArchivedFile_leavesTheArchivedCopyAsItWas() async throws {
        let lab = try await ArchiveLab.start("arch-attr", history: nil) { source in
            TestTree.write(source, "report.txt", "same content")
            TestTree.setTime(source, "report.txt", seconds: 1_600_000_000)
        }
        defer { Task { await lab.cluster.remove() } }
        let archive = try await lab.archiveNow()
        chmod(lab.cluster.source + "/report.txt", 0o600)
        TestTree.setTime(lab.cluster.source, "report.txt", seconds: 1_700_000_000)
        let left = try await lab.cluster.waitUntilConverged(seconds: 45)
        #expect(left.isEmpty, "\(left)")
        var archived = stat()
        lstat(lab.archiveDirectory + "/archives/" + archive.id + "/report.txt", &archived)
        #expect(archived.st_mtim.tv_sec == 1_600_000_000)
        #expect(archived.st_mode & 0o777 == 0o644)
    }

    @Test func archivesTakenDuringAWriteLoad_holdOnlyCompleteVersionsTheSourceHad() async throws {
        let lab = try await ArchiveLab.start("arch-load", history: nil) { source in
            for index in 0..<20 { TestTree.write(source, "load/\(index).dat", Self.version(file: index, number: 0)) }
        }
        defer { Task { await lab.cluster.remove() } }
        let source = lab.cluster.source
        let writer = Task.detached {
            // 20 files rewritten in turn (a temporary and a rename, as editors do), for at most 8 s.
            var number = 1
            let deadline = Date().addingTimeInterval(8)
            while !Task.isCancelled && Date() < deadline && number < 100_000 {
                for index in 0..<20 {
                    let path = source + "/load/\(index).dat"
                    TestTree.write(source, "load/.tmp\(index)", Self.version(file: index, number: number))
                    rename(source + "/load/.tmp\(index)", path)
                }
                number += 1
                try? await Task.sleep(for: .milliseconds(5))
            }
            return number
        }
        var archives: [ArchiveInfo] = []
        for _ in 0..<6 {
            try await Task.sleep(for: .milliseconds(300))
            archives.append(try await lab.archiveNow())
        }
        let written = await writer.value
        #expect(written > 10)
        for archive in archives {
            #expect(archive.state == .complete)
            for index in 0..<20 {
                let content = try #require(
                    ArchiveLab.read(lab.archiveDirectory + "/archives/\(archive.id)/load/\(index).dat"))
                let number = Int(content.split(separator: " ").dropFirst(2).first ?? "") ?? -1
                #expect(
                    number >= 0 && number < written && content == Self.version(file: index, number: number),
                    "\(archive.id) load/\(index).dat is not a version the source had: \(content.prefix(40))")
            }
        }
    }

    /// A version is long and self-describing, so a torn copy cannot pass for one.
    static func version(file: Int, number: Int) -> String {
        "file \(file) \(number) " + String(repeating: "\(file)-\(number);", count: 3000)
    }

    @Test func archiveNow_ofAScheduleSeries_takesOnlyItsPaths_andPruneKeepsWhatTheRetentionSays() async throws {
        let trailer = """
            [[groups.files.archives]]
            name = "db-hourly"
            paths = ["db/"]
            every = "hourly"
            keep = 1
            """
        let lab = try await ArchiveLab.start("arch-prune", history: nil, trailer: trailer) { source in
            TestTree.write(source, "db/main.db", "db")
            TestTree.write(source, "other/file.txt", "not archived by db-hourly")
        }
        defer { Task { await lab.cluster.remove() } }
        // The schedule was due at start (it never ran): the daemon takes one by itself first.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if try await lab.ask(ControlRequest.archives(group: "files", share: "data")).archives?.first?
                .state == .complete
            {
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        var ids: [String] = []
        for _ in 0..<3 {
            let response = try await lab.ask(
                ControlRequest.archiveNow(group: "files", share: "data", schedule: "db-hourly"))
            let info = try #require(response.archives?.first, "\(response.error ?? "")")
            #expect(info.files == 1)
            #expect(FileManager.default.fileExists(atPath: lab.archiveDirectory + "/archives/\(info.id)/db/main.db"))
            #expect(!FileManager.default.fileExists(atPath: lab.archiveDirectory + "/archives/\(info.id)/other"))
            ids.append(info.id)
        }
        // keep = 1 hourly: the newest archive of the hour stays; the older ones (also the one the daemon took at start,
        // since the schedule was due) are pruned as soon as a newer one of the series is complete.
        let left = (try await lab.ask(ControlRequest.archives(group: "files", share: "data")).archives ?? [])
            .map(\.id)
        let calendar = ArchiveService.calendar(at: Date().timeIntervalSince1970)
        if calendar.hourNumber(Date().timeIntervalSince1970 - 4) == calendar.hourNumber(Date().timeIntervalSince1970) {
            #expect(left == [ids[2]], "after pruning: \(left)")
            for id in ids.prefix(2) {
                #expect(!FileManager.default.fileExists(atPath: lab.archiveDirectory + "/archives/\(id)"))
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: lab.archiveDirectory + "/trash").isEmpty)
    }

    @Test func aFreshStandby_takesItsFirstScheduledArchive_afterItsFirstSync_neverAnEmptyOne() async throws {
        let cluster = try TestCluster(
            label: "arch-first",
            trailer: """
                [[groups.files.archives]]
                every = "hourly"
                """)
        defer { Task { await cluster.remove() } }
        for index in 0..<10 { TestTree.write(cluster.source, "f\(index).txt", "file \(index)") }
        // The standby starts alone: the schedule is due, the replica empty.
        try cluster.start("beta")
        let client = cluster.control("beta")
        func archives() async throws -> [ArchiveInfo] {
            try await onThread {
                try client.send(ControlRequest.archives(group: "files", share: "data"), waitingUpTo: 30)
            }.archives ?? []
        }
        try await Task.sleep(for: .seconds(3))
        #expect(try await archives().isEmpty, "no archive of a replica that has not synced since the start")
        let manual = try await onThread {
            try client.send(ControlRequest.archiveNow(group: "files", share: "data"), waitingUpTo: 30)
        }
        #expect(
            !manual.ok && manual.error?.contains("has not completed a sync since understudy started") == true,
            "\(manual)")
        try cluster.start("alpha")
        var first: ArchiveInfo?
        for _ in 0..<200 where first == nil {
            try await Task.sleep(for: .milliseconds(100))
            first = try await archives().first { $0.state == .complete }
        }
        let archive = try #require(first, "the first scheduled archive follows the first sync")
        #expect(archive.files == 10, "the archive holds the synced tree: \(archive)")
        #expect(archive.error == nil, "an archive of a replica in step carries no note: \(archive)")
    }

    @Test func anArchiveOfAReplicaCutOffFromItsPrimary_saysHowStaleItIs() async throws {
        let lab = try await ArchiveLab.start("arch-stale", history: nil) { source in
            TestTree.write(source, "a.txt", "a")
        }
        defer { Task { await lab.cluster.remove() } }
        _ = try await lab.cluster.sync()
        await lab.cluster.stop("alpha")
        try await Task.sleep(for: .seconds(2))
        let info = try await lab.archiveNow()
        #expect(info.state == .complete && info.files == 1)
        #expect(info.error?.contains("taken from a replica last in step with alpha") == true, "\(info)")
    }

    @Test func badArchiveRequests_areRefusedWithAClearMessage_andChangeNothing() async throws {
        let lab = try await ArchiveLab.start("arch-bad", history: nil) { source in TestTree.write(source, "a.txt", "a")
        }
        defer { Task { await lab.cluster.remove() } }
        let cases: [(ControlRequest, String, ArchiveError.Code)] = [
            (ControlRequest.archiveNow(), "GROUP/SHARE", .unknownShare),
            (ControlRequest.archiveNow(group: "nosuch"), "no group 'nosuch'", .unknownShare),
            (ControlRequest.archiveNow(group: "files", share: "nosuch"), "no share 'nosuch'", .unknownShare),
            (
                ControlRequest.archiveNow(group: "files", share: "data", schedule: "weekly"),
                "no archive schedule 'weekly'", .unknownSchedule
            ),
            (
                ControlRequest.archiveRemove(group: "files", share: "data", archive: "manual-1"),
                "no archive 'manual-1'", .unknownArchive
            ),
            (ControlRequest.restore(path: "files/data/a.txt"), "say which version", .badRequest),
            (
                ControlRequest.restore(path: "files/data/../../etc/passwd", at: 0),
                "contains a '..' component", .badRequest
            ),
            (ControlRequest.restore(path: "/etc/passwd", at: 0), "not inside a replica", .unknownShare),
            (
                ControlRequest.restore(path: "files/data/a.txt", archive: "x", at: 1), "not both",
                .badRequest
            ),
            (
                ControlRequest.restore(path: "files/data/a.txt", archive: "nosuch"), "no archive 'nosuch'",
                .unknownArchive
            ),
        ]
        for (request, expected, code) in cases {
            let response = try await lab.ask(request)
            #expect(!response.ok)
            #expect(
                response.error?.contains(expected) == true,
                "\(request): \(response.error ?? "no error")")
            // The API names each refusal by its stable code too.
            #expect(response.code == code.rawValue, "\(request): \(response)")
        }
        let listed = try await lab.ask(ControlRequest.archives(group: "files", share: "data"))
        #expect(listed.archives?.isEmpty == true)
        let primary = try await onThread {
            try lab.cluster.control("alpha").send(ControlRequest.archives(), waitingUpTo: 10)
        }
        #expect(!primary.ok && primary.error?.contains("keeps no replica") == true)
    }
}
