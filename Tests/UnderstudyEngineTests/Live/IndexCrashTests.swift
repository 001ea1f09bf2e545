#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyState
@testable import UnderstudyNode
@testable import UnderstudySupport

/// The file index on disk under kill -9: the primary writes it in parts while a first sync runs; killed mid-sync, what
/// it wrote never vouches for content a file does not have, no replica file is torn, and the resumed sync sends only
/// what the standby does not hold yet.
@Suite(.serialized)
struct IndexCrashTests {
    static let files = 6000
    static let share = "files/data"

    @Test func killingThePrimary_duringAFirstSync_leavesAnIndexThatNeverLies_andTheResumeSendsOnlyWhatIsMissing()
        async throws
    {
        let cluster = try await Self.clusterWithSmallFiles(label: "index-crash")
        defer { Task { await cluster.remove() } }
        let (source, replica) = (cluster.source, cluster.replica)
        let alphaLog = cluster.root + "/alpha.log"
        let alphaState = cluster.root + "/alpha-state"
        var primary = try DaemonProcess(config: cluster.configPath, node: "alpha", log: alphaLog)
        let standby = try DaemonProcess(config: cluster.configPath, node: "beta", log: cluster.root + "/beta.log")
        defer {
            primary.terminate()
            standby.terminate()
        }

        // Killed once the index holds a first part of the files sent and the replica some of them, before the sync
        // is over.
        var indexed = 0
        var heldBeforeKill = 0
        for _ in 0..<1200 where indexed < 2000 || heldBeforeKill < 1000 {
            try await Task.sleep(for: .milliseconds(25))
            // Opened once the daemon has made it and is sending (so the two never set up its schema at once).
            if (try? String(contentsOfFile: alphaLog, encoding: .utf8))?.contains("files to send") == true {
                indexed = (try? StateDatabase(directory: alphaState).fileIndexTotals(share: Self.share).files) ?? 0
                heldBeforeKill = try await onThread { Self.replicaFiles(replica).count }
            }
        }
        primary.kill9()
        #expect(indexed >= 2000, "the primary wrote no part of its index within 60 s")
        #expect(heldBeforeKill < Self.files, "the first sync was over before the kill: nothing was cut short")

        // Every record that still describes its file (same size, times and inode) holds that file's hash.
        let records = try StateDatabase(directory: alphaState).fileIndex(share: Self.share)
        #expect(records.count >= 2000)
        let vouched = try await onThread { () -> (checked: Int, wrong: [String]) in
            var checked = 0
            var wrong: [String] = []
            for record in records.values {
                guard let hash = record.contentHash else { continue }
                var info = stat()
                guard stat(source + "/" + record.path, &info) == 0, Int64(info.st_size) == record.size,
                    UInt64(info.st_ino) == record.inode, Int64(info.st_mtim.tv_sec) == record.mtimeSeconds,
                    Int32(info.st_mtim.tv_nsec) == record.mtimeNanoseconds
                else { continue }
                checked += 1
                if hash.map({ String($0, radix: 16) }).joined() != TestTree.digest(source + "/" + record.path) {
                    wrong.append(record.path)
                }
            }
            return (checked, wrong)
        }
        #expect(vouched.checked >= 2000)
        #expect(vouched.wrong.isEmpty, "index records whose hash is not their file's: \(vouched.wrong.prefix(5))")

        // No replica file is torn: each is whole, as its source (the sources do not change in this test).
        let torn = try await Self.tornFiles(source: source, replica: replica)
        #expect(torn.isEmpty, "torn replica files after the kill: \(torn.prefix(5))")

        primary = try DaemonProcess(config: cluster.configPath, node: "alpha", log: alphaLog)
        #expect(try await cluster.waitUntilConverged(seconds: 180) == [], "after the restart")
        print("index crash: \(indexed) files indexed at the kill")
        try await Self.expectTheResumeSendsOnlyWhatIsMissing(log: alphaLog, held: heldBeforeKill)
    }

    /// The standby killed while a first sync of small files (read ahead by the primary's workers) reaches it: no file
    /// under its final name is torn, and once the standby is back the comparison sends only what it did not hold.
    @Test func killingTheStandby_duringAFirstSyncOfSmallFiles_tearsNoFile_andTheResumeSendsOnlyWhatIsMissing()
        async throws
    {
        let cluster = try await Self.clusterWithSmallFiles(label: "standby-crash")
        defer { Task { await cluster.remove() } }
        let (source, replica) = (cluster.source, cluster.replica)
        let alphaLog = cluster.root + "/alpha.log"
        let betaLog = cluster.root + "/beta.log"
        let primary = try DaemonProcess(config: cluster.configPath, node: "alpha", log: alphaLog)
        var standby = try DaemonProcess(config: cluster.configPath, node: "beta", log: betaLog)
        defer {
            primary.terminate()
            standby.terminate()
        }
        var held = 0
        for _ in 0..<1200 where held < 1000 {
            try await Task.sleep(for: .milliseconds(25))
            held = try await onThread { Self.replicaFiles(replica).count }
        }
        standby.kill9()
        let heldAtKill = try await onThread { Self.replicaFiles(replica).count }
        #expect(held >= 1000, "the replica held no 1,000 files within 30 s")
        #expect(heldAtKill < Self.files, "the first sync was over before the kill: nothing was cut short")
        let torn = try await Self.tornFiles(source: source, replica: replica)
        #expect(torn.isEmpty, "torn replica files after the kill: \(torn.prefix(5))")

        standby = try DaemonProcess(config: cluster.configPath, node: "beta", log: betaLog)
        #expect(try await cluster.waitUntilConverged(seconds: 180) == [], "after the restart")
        try await Self.expectTheResumeSendsOnlyWhatIsMissing(log: alphaLog, held: heldAtKill)
    }

    /// The comparison after the restart (the second in the primary's `log`) sent what the replica did not hold at the
    /// kill (`held` files), at most. The replica may have converged before that comparison is logged: a loaded
    /// standby still applies what reached it before the kill, so this waits for the line (bounded).
    static func expectTheResumeSendsOnlyWhatIsMissing(log: String, held: Int) async throws {
        var sends = comparisons(in: log)
        for _ in 0..<600 where sends.count < 2 {
            try await Task.sleep(for: .milliseconds(100))
            sends = comparisons(in: log)
        }
        print("\(held) files on the replica at the kill; sent \(sends)")
        #expect(sends.count >= 2, "a first comparison, and one after the restart: \(sends)")
        if sends.count >= 2 {
            #expect(sends[1] <= files - held, "resent files the standby held: \(sends)")
        }
    }

    /// Two nodes whose source holds `files` random files of 600 bytes. At 1 MB/s the first sync of the 3.6 MB takes
    /// seconds: a kill lands in its middle, on any machine.
    static func clusterWithSmallFiles(label: String) async throws -> TestCluster {
        // 3.6 MB at 400 KB/s: a first sync of at least 9 s, so that a busy machine still finds it under way.
        let cluster = try TestCluster(label: label, groupExtra: #"bandwidth = "400KB/s""#)
        let source = cluster.source
        try await onThread {
            for index in 0..<Self.files { TestTree.writeRandomFile(source, "tree/\(index / 200)/\(index)", size: 600) }
        }
        return cluster
    }

    /// The replica's files whose content is not their source's.
    static func tornFiles(source: String, replica: String) async throws -> [String] {
        try await onThread {
            Self.replicaFiles(replica).filter {
                TestTree.digest(replica + "/" + $0) != TestTree.digest(source + "/" + $0)
            }
        }
    }

    /// The number of files to send of each full comparison in a node's log, in order.
    static func comparisons(in log: String) -> [Int] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.contains("full comparison") && $0.contains("files to send") }
            .compactMap { line -> Int? in
                guard let range = line.range(of: #": (\d+) files to send"#, options: .regularExpression) else {
                    return nil
                }
                return Int(line[range].dropFirst(2).split(separator: " ")[0])
            }
    }

    /// The files of the replica's tree, by relative path (not understudy's own temporaries, never visible files).
    static func replicaFiles(_ root: String) -> [String] {
        let tree = root + "/tree"
        guard let enumerator = FileManager.default.enumerator(atPath: tree) else { return [] }
        var files: [String] = []
        while let path = enumerator.nextObject() as? String {
            if (path as NSString).lastPathComponent.hasPrefix(".understudy") { continue }
            var info = stat()
            guard lstat(tree + "/" + path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            files.append("tree/" + path)
        }
        return files
    }
}
