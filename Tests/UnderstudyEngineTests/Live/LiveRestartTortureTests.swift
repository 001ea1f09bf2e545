#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOConcurrencyHelpers
import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudySupport

/// DESIGN rule 8 under a steady stream of changes: kill -9 the primary's daemon, then the standby's, at random
/// instants, 20 times each. Every replica file must always be a version its source had; when the stream stops
/// the trees converge; and no resume resends the unchanged part of the tree.
@Suite(.serialized)
struct LiveRestartTortureTests {
    /// Writes new versions of 200 small files, one every 10 ms, until stopped; remembers every version.
    final class Stream: @unchecked Sendable {
        let versions = NIOLockedValueBox<[String: Set<String>]>([:])
        private let running = NIOLockedValueBox(true)
        private let finished = DispatchSemaphore(value: 0)

        init(source: String) {
            let emptyDigest = TestTree.digest("/dev/null")
            Thread { [self] in
                var index = 0
                while running.withLockedValue({ $0 }) {
                    let path = "stream/\(index % 200)"
                    let digest = TestTree.writeRandomFile(source, path, size: 500 + (index * 37) % 3000)
                    // O_TRUNC then write: for an instant the file was empty, a version a reader may have seen.
                    versions.withLockedValue { $0[path, default: []].formUnion([digest, emptyDigest]) }
                    index += 1
                    usleep(10_000)
                }
                finished.signal()
            }.start()
        }

        func stop() {
            running.withLockedValue { $0 = false }
            finished.wait()
        }
    }

    @Test func killingEitherDaemon_duringAStreamOfChanges_losesNothing_andResumesWithoutAFullResend() async throws {
        let cluster = try TestCluster(label: "torture")
        defer { Task { await cluster.remove() } }
        let source = cluster.source
        let replica = cluster.replica
        let baseFiles = 2000
        try await onThread {
            for index in 0..<baseFiles { TestTree.writeRandomFile(source, "base/\(index / 100)/\(index)", size: 4096) }
        }
        let alphaLog = cluster.root + "/alpha.log"
        var primary = try DaemonProcess(config: cluster.configPath, node: "alpha", log: alphaLog)
        var standby = try DaemonProcess(config: cluster.configPath, node: "beta", log: cluster.root + "/beta.log")
        defer {
            primary.terminate()
            standby.terminate()
        }
        #expect(try await cluster.waitUntilConverged(seconds: 120) == [], "first comparison")
        let stream = Stream(source: source)
        var streamStopped = false
        defer { if !streamStopped { stream.stop() } }

        func checkNoTornFile(_ when: String) async throws {
            let replicaTree = try await onThread { TestTree.snapshot(replica) }
            let versions = stream.versions.withLockedValue { $0 }
            for (path, entry) in replicaTree where entry.kind == "file" && path.hasPrefix("stream/") {
                #expect(
                    versions[path]?.contains(entry.digest) == true,
                    "\(when): \(path) holds content no version of the source had")
            }
        }

        /// Until the standby is connected to the primary again, so every kill lands in a working pair.
        func waitUntilConnected() async throws {
            for _ in 0..<150 {
                if let group = try? await onThread({
                    try cluster.control("alpha").send(ControlRequest.status, waitingUpTo: 5)
                })
                .status?.groups.first, group.peerConnected {
                    return
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("the standby did not reconnect within 15 s")
        }

        /// The plans the primary logged after its restarts: one per restart is what the resume check below reads.
        func comparisonsLogged() -> Int {
            ((try? String(contentsOfFile: alphaLog, encoding: .utf8)) ?? "").split(separator: "\n")
                .filter { $0.contains("full comparison") && $0.contains("files to send") }.count
        }
        var comparisonsBefore = comparisonsLogged()
        for round in 0..<40 {
            try await waitUntilConnected()
            if round > 0 && round <= 20 {
                // The restarted primary compares the trees once the standby is back; a kill before that comparison
                // is planned would leave a restart without the plan the resume check reads (seen under load).
                var waited = 0
                while comparisonsLogged() <= comparisonsBefore && waited < 300 {
                    try await Task.sleep(for: .milliseconds(50))
                    waited += 1
                }
                #expect(
                    comparisonsLogged() > comparisonsBefore,
                    "round \(round): the restarted primary planned no full comparison in 15 s")
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...600)))
            if round < 20 {
                comparisonsBefore = comparisonsLogged()
                primary.kill9()
                try await checkNoTornFile("primary killed, round \(round)")
                primary = try DaemonProcess(config: cluster.configPath, node: "alpha", log: alphaLog)
            } else {
                standby.kill9()
                try await checkNoTornFile("standby killed, round \(round)")
                standby = try DaemonProcess(config: cluster.configPath, node: "beta", log: cluster.root + "/beta.log")
            }
        }
        stream.stop()
        streamStopped = true
        #expect(try await cluster.waitUntilConverged(seconds: 120) == [], "after the stream stopped")
        try await checkNoTornFile("at the end")

        // Acknowledged means durable on the replica: once the primary has nothing pending, a kill -9 of the
        // standby takes nothing back.
        TestTree.write(source, "last-word.txt", "acknowledged before the kill")
        var acknowledged = false
        for _ in 0..<100 where !acknowledged {
            try await Task.sleep(for: .milliseconds(50))
            let share = try await cluster.status("alpha").groups.first?.shares.first
            acknowledged =
                share?.changesPending == 0 && FileManager.default.fileExists(atPath: replica + "/last-word.txt")
        }
        #expect(acknowledged)
        standby.kill9()
        #expect(try await cluster.differences() == [])

        // Each primary restart costs a stat walk of both trees, but sends only what changed while it was down.
        let log = (try? String(contentsOfFile: alphaLog, encoding: .utf8)) ?? ""
        let resent = log.split(separator: "\n").filter {
            $0.contains("full comparison") && $0.contains("files to send")
        }.dropFirst().compactMap { line -> Int? in
            guard let range = line.range(of: #": (\d+) files to send"#, options: .regularExpression) else { return nil }
            return Int(line[range].dropFirst(2).split(separator: " ")[0])
        }
        #expect(resent.count >= 20, "primary restarts are followed by a full comparison (\(resent.count))")
        // Only the 200 files of the stream change: a resume that sent more would have resent unchanged files.
        #expect(
            resent.allSatisfy { $0 <= 210 }, "each resume sends only what changed while the primary was down: \(resent)"
        )
    }
}
