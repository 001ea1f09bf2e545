#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudySupport

/// The live mirror between two real daemons on loopback TLS: changes on the primary reach the replica by
/// themselves (nobody runs `understudy sync`), through fanotify or inotify, the aggregator, the journal and live syncs.
@Suite(.serialized)
struct LiveMirrorTests {
    /// Both nodes running on a source prepared by `prepare`, after their first comparison.
    static func running(
        _ label: String, relayed: Bool = false, capture: ChangeCaptureMethod = .auto,
        prepare: (String) -> Void = { _ in }
    ) async throws -> TestCluster {
        let nodeExtra = capture == .auto ? [:] : ["alpha": "change_capture = \"\(capture.rawValue)\""]
        let cluster = try TestCluster(label: label, relayed: relayed, nodeExtra: nodeExtra)
        prepare(cluster.source)
        try cluster.start("alpha")
        try cluster.start("beta")
        let left = try await cluster.waitUntilConverged(seconds: 60)
        #expect(left.isEmpty, "first comparison: \(left.prefix(5))")
        return cluster
    }

    static func expectConverged(
        _ cluster: TestCluster, seconds: Double = 45, _ what: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let left = try await cluster.waitUntilConverged(seconds: seconds)
        #expect(
            left.isEmpty,
            "\(what): \(left.count) differences, e.g. \(left.prefix(3)); log: \(cluster.logs.all.suffix(15))",
            sourceLocation: sourceLocation)
    }

    static func share(_ cluster: TestCluster, _ node: String) async throws -> ShareStatus {
        try #require(try await cluster.status(node).groups.first?.shares.first)
    }

    @Test(arguments: [ChangeCaptureMethod.fanotify, .inotify])
    func everyKindOfChange_reachesTheReplica_withoutAnyoneAskingForASync(_ capture: ChangeCaptureMethod) async throws {
        let cluster = try await Self.running("live-kinds-\(capture)", capture: capture) { source in
            TestTree.write(source, "edit.txt", "first")
            TestTree.write(source, "trunc.bin", TestTree.randomBytes(100_000, seed: 1))
            TestTree.write(source, "chmod.txt", "x")
            TestTree.write(source, "gone/a/b.txt", "deep")
            TestTree.write(source, "gone/c.txt", "c")
            TestTree.write(source, "kind", "was a file")
            for index in 0..<300 {
                TestTree.write(source, "album/\(index).jpg", TestTree.randomBytes(4000, seed: UInt64(index)))
            }
        }
        defer { Task { await cluster.remove() } }
        let source = cluster.source

        TestTree.write(source, "new.txt", "hello")
        TestTree.write(source, "edit.txt", "second version")
        truncate(source + "/trunc.bin", 10)
        chmod(source + "/chmod.txt", 0o600)
        TestTree.setTime(source, "chmod.txt", seconds: 1_500_000_000)
        TestTree.symlink(source, "link", target: "edit.txt")
        try await Self.expectConverged(cluster, "creates, writes, truncates, attributes, symlinks")

        for index in 0..<20 {
            mkdir(source + "/fresh\(index)", 0o755)
            mkdir(source + "/fresh\(index)/inside", 0o755)
            TestTree.write(source, "fresh\(index)/inside/file", "made a moment after its directory \(index)")
        }
        try await Self.expectConverged(cluster, "files inside directories created a moment earlier")

        let sentBefore = try await Self.share(cluster, "alpha").bytesSent
        rename(source + "/new.txt", source + "/renamed.txt")
        rename(source + "/album", source + "/album-2026")
        try await Self.expectConverged(cluster, "renames of a file and of a directory of 300 files")
        let sentForRenames = try await Self.share(cluster, "alpha").bytesSent - sentBefore
        #expect(
            sentForRenames < 300 * 4000 / 4,
            "renamed files move on the replica instead of travelling again (\(sentForRenames) bytes sent)")

        try FileManager.default.removeItem(atPath: source + "/gone")
        unlink(source + "/kind")
        TestTree.write(source, "kind/now-a-directory", "y")
        try await Self.expectConverged(cluster, "a deleted tree, a file replaced by a directory")

        // The replica shows the last changes once they are renamed into place; the primary counts them acknowledged
        // when the standby's syncDone comes, after the final syncfs, which a loaded disk can make take seconds.
        var alpha = try await Self.share(cluster, "alpha")
        for _ in 0..<300 where alpha.changesPending > 0 {
            try await Task.sleep(for: .milliseconds(100))
            alpha = try await Self.share(cluster, "alpha")
        }
        #expect(alpha.fullSyncs == 1, "only the first comparison walked the whole share")
        #expect(alpha.liveSyncs >= 4)
        #expect(alpha.changesPending == 0)
        #expect(alpha.lagSeconds == 0)
        #expect(alpha.captureBackend == capture.rawValue)
        if capture == .inotify {
            #expect((alpha.watchedDirectories ?? 0) > 20)
        } else {
            #expect(alpha.watchedDirectories == nil, "fanotify watches no directory")
        }
        // What an administrator sees: the status command and the log name the mechanism.
        let config = cluster.configPath
        let table = try await onThread {
            try ChildProcess.run(DaemonProcess.binary, ["status", "--config", config, "--node", "alpha"])
        }
        let shown = capture == .inotify ? "files/data: inotify (" : "files/data: fanotify (whole file system)"
        #expect(table.output.contains("change capture:\n  \(shown)"), "\(table.output)")
        #expect(!cluster.logs.containing("for changes with \(capture.rawValue)").isEmpty)
    }

    @Test func burstOfTenThousandFiles_reachesTheReplica() async throws {
        let cluster = try await Self.running("live-burst")
        defer { Task { await cluster.remove() } }
        let source = cluster.source
        try await onThread {
            for index in 0..<10_000 { TestTree.write(source, "burst/\(index % 50)/f\(index).txt", "file \(index)") }
        }
        try await Self.expectConverged(cluster, seconds: 120)
        let alpha = try await Self.share(cluster, "alpha")
        #expect(alpha.fullSyncs == 1)
    }

    @Test func fileWrittenContinuouslyForSeconds_endsUpWhole_andNeverTorn() async throws {
        let cluster = try await Self.running("live-stream")
        defer { Task { await cluster.remove() } }
        let path = cluster.source + "/growing.log"
        let replicaPath = cluster.replica + "/growing.log"
        let line = Array(repeating: UInt8(ascii: "x"), count: 99) + [10]
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        let started = Date()
        var written = 0
        var checks = 0
        // Written for 3 s, and on until the replica has held a copy (at most 20 s): under load the first attempt may
        // be abandoned (the file changed while it was read) and the next comes after the standby's backoff, or at the
        // latest when the open file has been written for `openWriteMax` (10 s).
        while Date().timeIntervalSince(started) < 3 || (checks == 0 && Date().timeIntervalSince(started) < 20) {
            for _ in 0..<50 { written += line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
            try await Task.sleep(for: .milliseconds(5))
            // Whatever the replica holds at any instant is a prefix the file once had: whole lines only.
            if let copy = FileManager.default.contents(atPath: replicaPath) {
                #expect(copy.count % 100 == 0 && copy.allSatisfy { $0 == UInt8(ascii: "x") || $0 == 10 })
                checks += 1
            }
        }
        close(fd)
        try await Self.expectConverged(cluster)
        #expect(FileManager.default.contents(atPath: replicaPath)?.count == written)
        #expect(checks > 0, "the file held open reached the replica while it was still being written")
    }

    @Test func standbyRestart_resumesFromTheJournal_withoutAFullComparison() async throws {
        let cluster = try await Self.running("live-resume") { source in
            for index in 0..<500 {
                TestTree.write(source, "base/\(index)", TestTree.randomBytes(2000, seed: UInt64(index)))
            }
        }
        defer { Task { await cluster.remove() } }
        // The trees are equal once the comparison's files are in place; the primary counts it when the standby's
        // acknowledgement arrives, a moment later. Stopping the standby before then would leave it uncounted.
        var counted = false
        for _ in 0..<200 where !counted {
            counted = try await Self.share(cluster, "alpha").fullSyncs == 1
            if !counted { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(counted, "the primary never counted the first comparison")
        let receivedBefore = try await Self.share(cluster, "beta").bytesReceived
        await cluster.stop("beta")
        TestTree.write(cluster.source, "while-away.txt", "changed while the standby was down")
        TestTree.write(cluster.source, "base/7", "rewritten")
        try await Task.sleep(for: .milliseconds(300))
        let away = try await Self.share(cluster, "alpha")
        #expect(away.changesPending >= 2, "the primary shows the changes waiting for the standby")
        #expect(away.lagSeconds > 0.2, "and how old the oldest is (\(away.lagSeconds)s)")

        try cluster.start("beta")
        try await Self.expectConverged(cluster)
        let alpha = try await Self.share(cluster, "alpha")
        #expect(alpha.fullSyncs == 1, "the restarted standby resumed from its acknowledged point")
        #expect(alpha.changesPending == 0)
        let beta = try await Self.share(cluster, "beta")
        #expect(beta.fullSyncs == 0 && beta.liveSyncs >= 1)
        #expect(
            beta.bytesReceived - receivedBefore < 50_000,
            "only the changes travelled (\(beta.bytesReceived - receivedBefore) bytes)")
    }

    @Test func networkCut_duringChanges_reconnectsByItself_andConverges() async throws {
        let cluster = try await Self.running("live-outage", relayed: true)
        defer { Task { await cluster.remove() } }
        let relay = try #require(cluster.relay)
        // The trees are equal once the first comparison's files are renamed into place; the standby stores the point
        // it is durable up to a moment later. Cut before that and the reconnect rightly compares the trees again.
        var acknowledged = false
        for _ in 0..<200 where !acknowledged {
            let share = try await Self.share(cluster, "beta")
            acknowledged = share.lastSyncAt != nil && share.state == .inSync
            if !acknowledged { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(acknowledged, "the first comparison never finished")
        relay.cut()
        for index in 0..<50 {
            TestTree.write(cluster.source, "during-outage/\(index).txt", "written while the link was down \(index)")
            try await Task.sleep(for: .milliseconds(40))
        }
        var noticed = false
        for _ in 0..<50 where !noticed {
            noticed = try await cluster.status("beta").groups.first?.peerConnected == false
            if !noticed { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(noticed, "the standby saw the connection go")
        relay.restore()
        try await Self.expectConverged(cluster, seconds: 60)
        #expect(try await Self.share(cluster, "alpha").fullSyncs == 1, "the journal covered the outage")
    }
}

/// `bandwidth` holds the primary's sending to the limit: a transfer takes about as long as the limit implies.
@Suite(.serialized)
struct BandwidthLimitMirrorTests {
    @Test func transferUnderALimit_takesAboutAsLongAsTheLimitImplies() async throws {
        let cluster = try TestCluster(label: "throttle", groupExtra: "bandwidth = \"2MB/s\"")
        defer { Task { await cluster.remove() } }
        try cluster.start("alpha")
        try cluster.start("beta")
        try await LiveMirrorTests.expectConverged(cluster, "empty trees")
        // 6 MB of random bytes (zstd cannot shrink them) at 2 MB/s: about 3 s, less a quarter second of burst.
        let started = Date()
        TestTree.write(cluster.source, "big.bin", TestTree.randomBytes(6_000_000, seed: 42))
        try await LiveMirrorTests.expectConverged(cluster, seconds: 30, "the file under the limit")
        let seconds = Date().timeIntervalSince(started)
        // The lower bound is the limit; the upper one only catches a limiter far too slow (a loaded machine, with the
        // whole suite running, adds seconds to noticing the copy).
        #expect(seconds > 2.4 && seconds < 20, "6 MB at 2 MB/s took \(seconds) s")
    }
}
