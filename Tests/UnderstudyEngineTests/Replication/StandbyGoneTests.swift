#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode

/// A standby killed in the middle of a sync is the standby going away, not a failure of the primary: the primary
/// says so in words, at warning level, and names no internal type.
@Suite(.serialized)
struct StandbyGoneTests {
    @Test func primary_logsAKilledStandby_asAWarningInWords_notAnErrorWithAnInternalName() async throws {
        let cluster = try TestCluster(label: "gone", groupExtra: "live = false")
        defer { Task { await cluster.remove() } }
        for index in 0..<40 { TestTree.writeRandomFile(cluster.source, "big/\(index).bin", size: 4 << 20) }
        try cluster.start("alpha")
        try await cluster.waitUntilListening("alpha")
        let standby = try DaemonProcess(config: cluster.configPath, node: "beta", log: cluster.root + "/beta.log")
        // Killed once the replica holds part of the tree: mid-sync.
        var partial = false
        for _ in 0..<600 where !partial {
            try await Task.sleep(for: .milliseconds(20))
            let count =
                (try? FileManager.default.contentsOfDirectory(atPath: cluster.replica + "/big"))?.filter {
                    !$0.hasPrefix(".")
                }.count ?? 0
            partial = count >= 2
        }
        standby.kill9()
        #expect(partial, "the standby never started the sync")
        let gone = await cluster.logs.waitFor("went away during the sync of files/data")
        #expect(!gone.isEmpty, "\(cluster.logs.all.suffix(10))")
        let errors = cluster.logs.all.filter { $0.hasPrefix("error") || $0.hasPrefix("critical") }
        #expect(errors.isEmpty, "a standby killed mid-sync is logged at error level: \(errors)")
        let internalNames = cluster.logs.all.filter {
            $0.contains("uncleanShutdown") || $0.contains("ioOnClosedChannel") || $0.contains("IOError")
        }
        #expect(internalNames.isEmpty, "\(internalNames)")
    }
}
