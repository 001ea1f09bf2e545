#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyEngine

/// DESIGN rules 1 and 8: kill -9 the standby at random instants while it receives large files; no file under
/// its final name may ever differ from a version the source had, and the sync resumes without a full resend.
@Suite(.serialized)
struct CrashSafetyTests {
    @Test func killingTheStandby_neverLeavesATornFile_andResumesWithoutFullResend() async throws {
        let cluster = try TestCluster(label: "crash")
        defer { Task { await cluster.remove() } }
        let source = cluster.source
        var versions: [String: Set<String>] = [:]
        var sourceBytes = 0
        for index in 0..<4 {
            versions["large/\(index).bin", default: []].insert(TestTree.writeRandomFile(source, "large/\(index).bin", size: 40 << 20))
            sourceBytes += 40 << 20
        }
        for index in 0..<200 {
            let path = "small/\(index / 20)/f\(index)"
            versions[path, default: []].insert(TestTree.writeRandomFile(source, path, size: 1000 + index * 37))
            sourceBytes += 1000 + index * 37
        }
        let primary = try DaemonProcess(config: cluster.configPath, node: "alpha", log: cluster.root + "/alpha.log")
        defer { primary.terminate() }
        var generator = SystemRandomNumberGenerator()
        var killsDuringWork = 0

        for round in 0..<20 {
            // Once the replica has caught up, give it new versions to receive, so every kill lands mid-sync.
            if round > 0 && TestTree.differences(TestTree.snapshot(source), TestTree.snapshot(cluster.replica)).isEmpty {
                let path = "large/\(round % 4).bin"
                versions[path, default: []].insert(TestTree.writeRandomFile(source, path, size: 40 << 20))
            }
            let standby = try DaemonProcess(config: cluster.configPath, node: "beta", log: cluster.root + "/beta.log")
            usleep(UInt32.random(in: 150_000...900_000, using: &generator))
            let caughtUp = TestTree.differences(TestTree.snapshot(source), TestTree.snapshot(cluster.replica)).isEmpty
            standby.kill9()
            if !caughtUp { killsDuringWork += 1 }
            for (path, entry) in TestTree.snapshot(cluster.replica) where entry.kind == "file" {
                #expect(versions[path]?.contains(entry.digest) == true,
                        "round \(round): \(path) holds content that no version of the source had")
            }
        }
        #expect(killsDuringWork >= 15, "most kills must interrupt a running sync (\(killsDuringWork) of 20 did)")

        let databaseBefore = try StateDatabase(directory: cluster.configuration.nodes["beta"]!.stateDirectory)
        let receivedBefore = try databaseBefore.loadSyncStatus(share: "files/data")?.bytesReceived ?? 0
        let standby = try DaemonProcess(config: cluster.configPath, node: "beta", log: cluster.root + "/beta.log")
        defer { standby.terminate() }
        let response = try await cluster.sync(timeout: 180)
        #expect(response.ok, "\(response)")
        #expect(cluster.differences() == [])
        let status = try #require(try await cluster.status("beta").groups.first?.shares.first)
        let afterRestart = status.bytesReceived - receivedBefore
        #expect(afterRestart < Int64(sourceBytes) / 2,
                "after the last restart \(afterRestart) bytes crossed the wire, a full resend is \(sourceBytes)")
        let leftovers = (FileManager.default.subpaths(atPath: cluster.replica) ?? []).filter { $0.contains(".understudy.") }
        #expect(leftovers.isEmpty, "temporaries and partial copies are cleaned up: \(leftovers)")
    }
}
