#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudyFileSystem
@testable import UnderstudySupport

/// DESIGN rules 1 and 8: kill -9 the standby at random instants while it receives large files; no file under
/// its final name may ever differ from a version the source had, and the sync resumes without a full resend.
@Suite(.serialized)
struct CrashSafetyTests {
    @Test func killingTheStandbyMidSync_neverLeavesATornFile() async throws {
        let cluster = try TestCluster(label: "crash")
        defer { Task { await cluster.remove() } }
        let source = cluster.source
        var versions: [String: Set<String>] = [:]
        for index in 0..<6 {
            versions["large/\(index).bin", default: []].insert(
                TestTree.writeRandomFile(source, "large/\(index).bin", size: 40 << 20))
        }
        for index in 0..<200 {
            let path = "small/\(index / 20)/f\(index)"
            versions[path, default: []].insert(TestTree.writeRandomFile(source, path, size: 1000 + index * 37))
        }
        let primary = try DaemonProcess(config: cluster.configPath, node: "alpha", log: cluster.root + "/alpha.log")
        defer { primary.terminate() }
        let replica = cluster.replica
        var killsDuringWork = 0
        var round = 0
        while killsDuringWork < 20 && round < 40 {
            // A new version of one large file every round, so each kill can land in the middle of a transfer.
            if round > 0 {
                let path = "large/\(round % 6).bin"
                versions[path, default: []].insert(TestTree.writeRandomFile(source, path, size: 40 << 20))
            }
            let standby = try DaemonProcess(config: cluster.configPath, node: "beta", log: cluster.root + "/beta.log")
            try await Task.sleep(for: .milliseconds(Int.random(in: 300...1200)))
            standby.kill9()
            let (sourceTree, replicaTree) = try await onThread {
                (TestTree.snapshot(source), TestTree.snapshot(replica))
            }
            if !TestTree.differences(sourceTree, replicaTree).isEmpty { killsDuringWork += 1 }
            for (path, entry) in replicaTree where entry.kind == "file" {
                #expect(
                    versions[path]?.contains(entry.digest) == true,
                    "round \(round): \(path) holds content that no version of the source had")
            }
            round += 1
        }
        #expect(
            killsDuringWork == 20, "20 kills must interrupt a running sync (\(killsDuringWork) in \(round) rounds did)")

        let standby = try DaemonProcess(config: cluster.configPath, node: "beta", log: cluster.root + "/beta.log")
        defer { standby.terminate() }
        let response = try await cluster.sync(timeout: 180)
        #expect(response.ok, "\(response)")
        let left = try await cluster.differences()
        let standbyLog = (try? String(contentsOfFile: cluster.root + "/beta.log", encoding: .utf8)) ?? ""
        #expect(
            left.isEmpty,
            "\(left.prefix(5)); standby log: \(standbyLog.split(separator: "\n").suffix(12).joined(separator: "\n"))")
        let leftovers = (FileManager.default.subpaths(atPath: cluster.replica) ?? []).filter {
            $0.contains(".understudy.") && $0 != ReplicaAdoption.markerName
        }
        #expect(leftovers.isEmpty, "temporaries and partial copies are cleaned up: \(leftovers)")
    }

    @Test func aStandbyKilledMidSync_removesItsTemporariesWhenItStarts_beforeAnySync() async throws {
        let cluster = try TestCluster(label: "crash-tmp")
        defer { Task { await cluster.remove() } }
        // Many small files (below the size written under a partial name): the batch writer holds a temporary per file
        // until the batch is renamed into place.
        for index in 0..<3000 {
            TestTree.writeRandomFile(cluster.source, "many/\(index / 100)/f\(index).bin", size: 20_000)
        }
        let primary = try DaemonProcess(config: cluster.configPath, node: "alpha", log: cluster.root + "/alpha.log")
        defer { primary.terminate() }
        // FileManager's walk gives up when a file vanishes under it, as temporaries do when renamed into place.
        func temporaries() -> Set<String> {
            Set(TestTree.names(below: cluster.replica).filter { $0.contains(".understudy.tmp.") })
        }
        var left: Set<String> = []
        for _ in 0..<10 where left.isEmpty {
            let standby = try DaemonProcess(config: cluster.configPath, node: "beta", log: cluster.root + "/beta.log")
            var polls = 0
            while temporaries().isEmpty && polls < 3000 {
                try await Task.sleep(for: .milliseconds(1))
                polls += 1
            }
            standby.kill9()
            left = temporaries()
        }
        try #require(!left.isEmpty, "no kill landed while temporaries existed")
        // With the primary gone, no sync can run: only the standby's start can remove what its crash left.
        primary.terminate()
        let standby = try DaemonProcess(config: cluster.configPath, node: "beta", log: cluster.root + "/beta.log")
        defer { standby.terminate() }
        // The sweep removes the files first and logs its count after, so both are awaited.
        let reported = "temporaries a crash left in"
        var remaining = left
        var log = ""
        var polls = 0
        while (!remaining.isEmpty || !log.contains(reported)) && polls < 250 {
            try await Task.sleep(for: .milliseconds(20))
            remaining = left.intersection(temporaries())
            log = (try? String(contentsOfFile: cluster.root + "/beta.log", encoding: .utf8)) ?? ""
            polls += 1
        }
        #expect(remaining.isEmpty, "temporaries of the crash still in the replica: \(remaining.prefix(3))")
        #expect(
            log.contains("did not stop cleanly; the temporaries it left are removed")
                && log.contains(reported), "\(log.suffix(800))")
    }

    @Test func killedTransfer_resumesWithoutResendingWhatArrived() async throws {
        // Held to 60 MB/s so the transfer lasts seconds: unthrottled on loopback it can end between two polls,
        // and the kill would land after it.
        let cluster = try TestCluster(label: "resume", groupExtra: "bandwidth = \"60MB/s\"")
        defer { Task { await cluster.remove() } }
        let freshSize = 3 * (48 << 20)
        for index in 0..<3 { TestTree.writeRandomFile(cluster.source, "fresh/\(index).bin", size: 48 << 20) }
        let primary = try DaemonProcess(config: cluster.configPath, node: "alpha", log: cluster.root + "/alpha.log")
        defer { primary.terminate() }

        // Kill the standby once a good part of the data has arrived (final files or partial copies).
        let replica = cluster.replica
        let arrived: @Sendable () -> Int = {
            let directory = replica + "/fresh"
            return (FileManager.default.subpaths(atPath: directory) ?? []).reduce(0) { total, name in
                let size =
                    (try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int) ?? 0
                return total + (size ?? 0)
            }
        }
        let first = try DaemonProcess(config: cluster.configPath, node: "beta", log: cluster.root + "/beta.log")
        let deadline = Date().addingTimeInterval(60)
        while arrived() < freshSize / 3 && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        first.kill9()
        let progress = arrived()
        #expect(progress >= freshSize / 3, "the transfer made progress before the kill (\(progress) bytes)")
        #expect(progress < freshSize, "the kill landed before the end of the transfer")

        let standby = try DaemonProcess(config: cluster.configPath, node: "beta", log: cluster.root + "/beta.log")
        defer { standby.terminate() }
        #expect(try await cluster.sync(timeout: 180).ok)
        #expect(try await cluster.differences() == [])
        let received = try #require(try await cluster.status("beta").groups.first?.shares.first).bytesReceived
        let remaining = freshSize - progress
        #expect(
            received < Int64(remaining + (4 << 20)),
            "after the restart \(received) bytes crossed the wire; \(remaining) were missing, a full resend is \(freshSize)"
        )
    }
}
