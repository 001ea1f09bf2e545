#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode

/// One unusable path (too long for the wire, refused by the replica's file system) costs that path, with one warning,
/// never the share: the rest mirrors, the connection stays, and retries back off.
@Suite(.serialized)
struct UnusablePathTests {
    /// Creates `levels` nested directories of 250-byte names below `root`, and a file in the deepest: a path of
    /// levels × 251 bytes, built with openat because the kernel refuses such paths in one string.
    static func makeDeepTree(_ root: String, levels: Int) {
        var fd = open(root, O_RDONLY | O_DIRECTORY)
        for level in 0..<levels {
            let name = String(format: "%03d", level) + String(repeating: "d", count: 247)
            mkdirat(fd, name, 0o755)
            let child = openat(fd, name, O_RDONLY | O_DIRECTORY)
            close(fd)
            fd = child
        }
        let file = openat(fd, "leaf.txt", O_CREAT | O_WRONLY, 0o644)
        _ = "deep".withCString { write(file, $0, 4) }
        close(file)
        close(fd)
    }

    /// How deep the chain of directories goes below `root` (following the first entry at each level).
    static func depth(_ root: String) -> Int {
        var fd = open(root, O_RDONLY | O_DIRECTORY)
        var depth = 0
        while fd >= 0 {
            let name = String(format: "%03d", depth) + String(repeating: "d", count: 247)
            let child = openat(fd, name, O_RDONLY | O_DIRECTORY)
            close(fd)
            fd = child
            if fd >= 0 { depth += 1 }
        }
        return depth
    }

    @Test func aPathLongerThanTheWireAllows_isSkippedWithOneWarning_whileTheRestMirrorsOverOneConnection() async throws
    {
        let cluster = try TestCluster(label: "long-path")
        defer { Task { await cluster.remove() } }
        for index in 0..<20 { TestTree.write(cluster.source, "ok/\(index).txt", "file \(index)") }
        // 18 levels of 251 bytes: the 17th directory's path passes 4096 bytes.
        Self.makeDeepTree(cluster.source, levels: 18)
        try cluster.start("alpha")
        try cluster.start("beta")
        for _ in 0..<2 {
            let response = try await cluster.sync(timeout: 60)
            #expect(response.ok, "\(response)")
        }
        #expect(FileManager.default.fileExists(atPath: cluster.replica + "/ok/19.txt"))
        #expect(Self.depth(cluster.replica) == 16, "every directory whose path fits is mirrored")
        TestTree.write(cluster.source, "ok/live.txt", "a live change after the skip")
        var arrived = false
        for _ in 0..<200 where !arrived {
            try await Task.sleep(for: .milliseconds(50))
            arrived = FileManager.default.fileExists(atPath: cluster.replica + "/ok/live.txt")
        }
        #expect(arrived, "the live mirror goes on")
        let warnings = cluster.logs.containing("not mirrored")
        #expect(warnings.count == 1, "warned once, not at every sync: \(warnings)")
        #expect(warnings.first?.contains("longer than 4096 bytes") == true)
        #expect((warnings.first?.utf8.count ?? 0) < 600, "the path is shortened in the log")
        #expect(
            cluster.logs.containing("connected to alpha, which serves group files").count == 1,
            "the connection was never dropped")
        #expect(cluster.logs.containing("sync files/data failed").isEmpty)
    }

    @Test func aFileTheReplicaRefuses_isRetriedWithGrowingPauses_warnedOnce_whileTheRestMirrors() async throws {
        let cluster = try TestCluster(label: "refused-file")
        defer { Task { await cluster.remove() } }
        TestTree.write(cluster.source, "locked/a.txt", "a")
        try cluster.start("alpha")
        try cluster.start("beta")
        #expect(try await cluster.sync().ok)
        // An administrator made a directory of the replica immutable: nothing can be created in it.
        #expect(Self.chattr("+i", cluster.replica + "/locked") == 0)
        defer { _ = Self.chattr("-i", cluster.replica + "/locked") }
        TestTree.write(cluster.source, "locked/b.txt", "cannot land")
        TestTree.write(cluster.source, "ok/c.txt", "lands")
        var arrived = false
        for _ in 0..<200 where !arrived {
            try await Task.sleep(for: .milliseconds(50))
            arrived = FileManager.default.fileExists(atPath: cluster.replica + "/ok/c.txt")
        }
        #expect(arrived, "the rest of the share mirrors")
        // Retried at growing intervals (1 s, 2 s, 4 s...), never by reconnecting.
        try await Task.sleep(for: .seconds(8))
        // Once on each node: the standby that cannot apply it, the primary that hears so.
        let standbyWarnings = cluster.logs.all.filter { $0.hasPrefix("warning could not apply \"locked/b.txt\"") }
        let primaryWarnings = cluster.logs.all.filter {
            $0.hasPrefix("warning standby could not apply \"locked/b.txt\"")
        }
        #expect(
            standbyWarnings.count == 1 && primaryWarnings.count == 1,
            "warned once: \(standbyWarnings) \(primaryWarnings)")
        let retries = cluster.logs.all.filter { $0.contains("locked/b.txt") }.count
        #expect(retries < 10, "\(retries) lines about the refused file in 8 s")
        #expect(
            cluster.logs.containing("connected to alpha, which serves group files").count == 1,
            "the connection was never dropped")
        // Once the directory is writable again, the file lands.
        _ = Self.chattr("-i", cluster.replica + "/locked")
        #expect(try await cluster.sync().ok)
        #expect(FileManager.default.fileExists(atPath: cluster.replica + "/locked/b.txt"))
    }

    @Test func aSyncRefusedOnEveryConnection_isRetriedWithGrowingPauses_notTwiceASecond() async throws {
        let cluster = try TestCluster(label: "refused-sync")
        defer { Task { await cluster.remove() } }
        TestTree.write(cluster.source, "a.txt", "a")
        try cluster.start("alpha")
        try cluster.start("beta")
        #expect(try await cluster.sync().ok)
        await cluster.stop("alpha")
        // An unmounted disk: the source is empty, and the primary refuses to empty the replica, every time.
        unlink(cluster.source + "/a.txt")
        try cluster.start("alpha")
        try await Task.sleep(for: .seconds(8))
        let attempts = cluster.logs.all.filter { $0.hasPrefix("error sync files/data failed: source") }
        #expect(
            attempts.count >= 2 && attempts.count <= 6,
            "\(attempts.count) refused syncs in 8 s; pauses must grow (0.5, 1, 2, 4 s): \(cluster.logs.all.suffix(12))")
    }

    static func chattr(_ flag: String, _ path: String) -> Int32 {
        (try? ChildProcess.run("/usr/bin/chattr", [flag, path]))?.status ?? -1
    }
}
