#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudyFileSystem
@testable import UnderstudySupport
import UnderstudyState

/// A `replica` pointed at a directory in use is never emptied in silence: the standby refuses it, says what to run,
/// and mirrors into it only once told (`understudy adopt`).
@Suite(.serialized)
struct ReplicaAdoptionMirrorTests {
    static func preparedCluster(_ label: String) throws -> TestCluster {
        let cluster = try TestCluster(label: label)
        TestTree.write(cluster.source, "shared.txt", "the same on both")
        TestTree.write(cluster.source, "source-only.txt", "from the source")
        // Someone's files, where the configuration (by mistake) puts the replica.
        TestTree.write(cluster.replica, "precious.txt", "not the source's")
        TestTree.write(cluster.replica, "shared.txt", "the same on both")
        return cluster
    }

    @Test func aNonEmptyReplica_isRefused_untouched_andTheStatusSaysWhatToRun() async throws {
        let cluster = try Self.preparedCluster("adopt-refused")
        defer { Task { await cluster.remove() } }
        try cluster.start("alpha")
        try cluster.start("beta")
        let response = try await cluster.sync()
        #expect(!response.ok)
        #expect(
            response.syncResults?.first?.error?.contains("understudy adopt files/data --keep") == true, "\(response)")
        #expect(response.code == "replica-not-adopted" && response.syncResults?.first?.code == "replica-not-adopted")
        #expect(try String(contentsOfFile: cluster.replica + "/precious.txt", encoding: .utf8) == "not the source's")
        #expect(!FileManager.default.fileExists(atPath: cluster.replica + "/source-only.txt"))
        let share = try #require(try await cluster.status("beta").groups.first?.shares.first)
        #expect(
            share.state == .error && share.lastError?.contains("--move-aside") == true,
            "\(String(describing: share.lastError))")
        try await Task.sleep(for: .seconds(3))
        #expect(
            FileManager.default.fileExists(atPath: cluster.replica + "/precious.txt"), "still untouched after retries")
        #expect(cluster.logs.containing("understudy did not put there").count == 1, "told once")
    }

    @Test func adoptMovingAside_keepsTheFilesBeside_andMirrorsIntoAnEmptyReplica() async throws {
        let cluster = try Self.preparedCluster("adopt-aside")
        defer { Task { await cluster.remove() } }
        let response = try await Self.startAndAdopt(cluster, keep: "move-aside")
        let client = cluster.control("beta")
        #expect(response.ok, "\(response)")
        let aside = try #require(
            try FileManager.default.contentsOfDirectory(atPath: cluster.root).first {
                $0.hasPrefix("replica.understudy-aside-")
            })
        #expect(
            try String(contentsOfFile: cluster.root + "/" + aside + "/precious.txt", encoding: .utf8)
                == "not the source's")
        #expect(try await cluster.differences() == [], "the replica mirrors the source")
        let again = try await onThread {
            try client.send(ControlRequest.adopt(share: "files/data", mode: .keep), waitingUpTo: 30)
        }
        #expect(again.ok && again.message?.contains("nothing to do") == true, "\(again)")
    }

    @Test func adoptKeeping_mirrorsOverWhatIsThere_withoutResendingWhatIsEqual() async throws {
        let cluster = try Self.preparedCluster("adopt-keep")
        defer { Task { await cluster.remove() } }
        let response = try await Self.startAndAdopt(cluster, keep: "keep")
        #expect(response.ok, "\(response)")
        #expect(try await cluster.differences() == [])
        #expect(
            !FileManager.default.fileExists(atPath: cluster.replica + "/precious.txt"),
            "what the source lacks is deleted, as told")
    }

    @Test func anAdoption_isRecordedInTheEventLog() async throws {
        let cluster = try Self.preparedCluster("adopt-event")
        defer { Task { await cluster.remove() } }
        let response = try await Self.startAndAdopt(cluster, keep: "keep")
        #expect(response.ok, "\(response)")
        // Recorded at a level the log accepts (it was once "notice", which the log refused: the event was lost).
        let stateDirectory = cluster.configuration.nodes["beta"]!.stateDirectory
        let adopted = try await onThread {
            try StateDatabase(directory: stateDirectory).recentEvents(limit: 50, share: "files/data")
        }.filter { $0.kind == "replica-adopted" }
        #expect(adopted.count == 1 && adopted.first?.level == "info", "\(adopted)")
    }

    /// Starts both nodes, lets beta refuse the replica once, then asks beta to adopt it (`keep` or `move-aside`).
    static func startAndAdopt(_ cluster: TestCluster, keep: String) async throws -> ControlResponse {
        try cluster.start("alpha")
        try cluster.start("beta")
        _ = try await cluster.sync()
        let client = cluster.control("beta")
        return try await onThread {
            try client.send(
                ControlRequest.adopt(share: "files/data", mode: try #require(AdoptMode(rawValue: keep))),
                waitingUpTo: 30)
        }
    }

    @Test func badAdoptRequests_areRefusedClearly_andChangeNothing() async throws {
        let cluster = try Self.preparedCluster("adopt-bad")
        defer { Task { await cluster.remove() } }
        try cluster.start("alpha")
        try cluster.start("beta")
        let beta = cluster.control("beta")
        let alpha = cluster.control("alpha")
        _ = try await cluster.status("alpha")
        _ = try await onThread { try beta.send(ControlRequest.status, waitingUpTo: 30) }
        let noMode = try await onThread {
            try beta.send(line: Data(#"{"version": 1, "command": "adopt", "path": "files/data"}"#.utf8))
        }
        #expect(
            !noMode.ok && noMode.error?.contains("--keep") == true && noMode.error?.contains("--move-aside") == true,
            "\(noMode)")
        let unknown = try await onThread {
            try beta.send(ControlRequest.adopt(share: "files/nope", mode: .keep), waitingUpTo: 30)
        }
        #expect(!unknown.ok && unknown.error?.contains("one of: files/data") == true, "\(unknown)")
        #expect(unknown.code == "unknown-share")
        let onPrimary = try await onThread {
            try alpha.send(ControlRequest.adopt(share: "files/data", mode: .keep), waitingUpTo: 30)
        }
        #expect(
            !onPrimary.ok && onPrimary.error?.contains("run `understudy adopt files/data` there") == true,
            "\(onPrimary)")
        #expect(onPrimary.code == "not-the-standby")
        #expect(FileManager.default.fileExists(atPath: cluster.replica + "/precious.txt"))
        #expect(!FileManager.default.fileExists(atPath: cluster.replica + "/" + ReplicaAdoption.markerName))
    }
}
