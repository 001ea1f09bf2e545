#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudySupport

/// kill -9 of the standby process while it makes an archive and while it prunes one: the next start marks what was
/// cut short, removes its partial tree, finishes the removal, and the next archive completes.
@Suite(.serialized)
struct ArchiveCrashTests {
    @Test func killDuringArchiveAndDuringPrune_nextStartCleansUp_andTheNextArchiveCompletes() async throws {
        let cluster = try TestCluster(label: "arch-crash", shareExtra: "history = \"1h\"")
        defer { Task { await cluster.remove() } }
        let files = 6000
        for index in 0..<files { TestTree.write(cluster.source, "d\(index % 60)/f\(index).txt", "file \(index)") }
        try cluster.start("alpha")
        let log = cluster.root + "/beta.log"
        var beta = try DaemonProcess(config: cluster.configPath, node: "beta", log: log)
        defer { beta.terminate() }
        let converged = try await cluster.waitUntilConverged(seconds: 90)
        #expect(converged.isEmpty, "\(converged.prefix(3))")
        let archives = ShareConfiguration.defaultArchiveDirectory(replica: cluster.replica) + "/archives"
        let client = cluster.control("beta")
        func ask(_ request: ControlRequest) async throws -> ControlResponse {
            try await onThread { try client.send(request, waitingUpTo: 30) }
        }
        var generator = SystemRandomNumberGenerator()
        var interrupted = 0
        // Four rounds, and more (bounded) until a kill has landed inside an archive run: on a loaded machine one
        // may finish before its kill.
        for round in 0..<10 where round < 4 || interrupted == 0 {
            let kind: ControlRequest.Command = round % 2 == 0 ? .archiveNow : .archiveRemove
            var request = ControlRequest.archiveNow(group: "files", share: "data")
            if kind == .archiveRemove {
                let taken = try await ask(ControlRequest.archiveNow(group: "files", share: "data"))
                let id = try #require(taken.archives?.first?.id, "\(taken.error ?? "")")
                request = .archiveRemove(group: "files", share: "data", archive: id)
            }
            let asked = Task.detached { try? client.send(request, waitingUpTo: 5) }
            // Kill once the work is visibly under way (a half-made tree, or the archive moved to the trash), at a
            // random instant within it.
            let trash = ShareConfiguration.defaultArchiveDirectory(replica: cluster.replica) + "/trash"
            for _ in 0..<5000 {
                let started =
                    kind == .archiveNow
                    ? (try? FileManager.default.contentsOfDirectory(atPath: archives))?.contains {
                        $0.hasPrefix(".making-")
                    } == true
                    : (try? FileManager.default.contentsOfDirectory(atPath: trash))?.isEmpty == false
                if started { break }
                try await Task.sleep(for: .milliseconds(1))
            }
            try await Task.sleep(for: .microseconds(Int.random(in: 0...20_000, using: &generator)))
            beta.kill9()
            _ = await asked.value
            beta = try DaemonProcess(config: cluster.configPath, node: "beta", log: log)
            // Archives are taken only of a replica that synced since its daemon started.
            #expect(try await cluster.sync().ok)
            let listed = try await ask(ControlRequest.archives(group: "files", share: "data"))
            let catalog = try #require(listed.archives, "\(listed.error ?? "")")
            // Nothing half-made or half-pruned is left unmarked: every row is complete or says it was interrupted,
            // and the directory holds exactly the complete archives, each whole.
            #expect(
                catalog.allSatisfy { $0.state == .complete || $0.state == .interrupted },
                "\(catalog.map { "\($0.id) \($0.state)" })")
            interrupted += catalog.filter { $0.state == .interrupted }.count
            let complete = catalog.filter { $0.state == .complete }
            let onDisk = try FileManager.default.contentsOfDirectory(atPath: archives).sorted()
            #expect(
                onDisk == complete.map(\.id).sorted(),
                "round \(round): on disk \(onDisk), complete \(complete.map(\.id))")
            for archive in complete {
                #expect(archive.files == Int64(files))
                let count = FileManager.default.subpaths(atPath: archives + "/" + archive.id)?.filter {
                    $0.hasSuffix(".txt")
                }.count
                #expect(count == files, "\(archive.id) holds \(count ?? -1) files")
            }
        }
        let after = try await ask(ControlRequest.archiveNow(group: "files", share: "data"))
        #expect(after.ok && after.archives?.first?.files == Int64(files), "\(after.error ?? "")")
        let trash = ShareConfiguration.defaultArchiveDirectory(replica: cluster.replica) + "/trash"
        #expect(try FileManager.default.contentsOfDirectory(atPath: trash).isEmpty)
        #expect(interrupted > 0, "no kill landed inside an archive run")
    }
}
