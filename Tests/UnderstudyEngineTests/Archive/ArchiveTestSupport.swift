#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudySupport

/// A running pair with archives and history configured on the standby, and helpers to ask beta.
struct ArchiveLab {
    let cluster: TestCluster

    static func start(
        _ label: String, history: String? = "1h", trailer: String = "", prepare: (String) -> Void = { _ in }
    ) async throws -> ArchiveLab {
        let cluster = try TestCluster(
            label: label, shareExtra: history.map { "history = \"\($0)\"" } ?? "", trailer: trailer)
        prepare(cluster.source)
        try cluster.start("alpha")
        try cluster.start("beta")
        let left = try await cluster.waitUntilConverged(seconds: 60)
        #expect(left.isEmpty, "first comparison: \(left.prefix(5)); log: \(cluster.recentLog)")
        return ArchiveLab(cluster: cluster)
    }

    var archiveDirectory: String { ShareConfiguration.defaultArchiveDirectory(replica: cluster.replica) }

    func ask(_ request: ControlRequest, timeout: Double = 60) async throws -> ControlResponse {
        let client = cluster.control("beta")
        return try await onThread { try client.send(request, waitingUpTo: timeout) }
    }

    func archiveNow() async throws -> ArchiveInfo {
        let response = try await ask(ControlRequest.archiveNow(group: "files", share: "data"))
        #expect(response.ok, "archive now: \(response.error ?? "")")
        return try #require(response.archives?.first)
    }

    /// Writes `text` on the primary and waits until the replica has it.
    func writeAndWait(_ relative: String, _ text: String, seconds: Double = 20) async throws {
        TestTree.write(cluster.source, relative, text)
        try await waitForReplica(relative, text, seconds: seconds)
    }

    func waitForReplica(_ relative: String, _ text: String?, seconds: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let content = FileManager.default.contents(atPath: cluster.replica + "/" + relative).map {
                String(decoding: $0, as: UTF8.self)
            }
            if content == text { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("replica never got \(relative) = \(text ?? "nothing")")
    }

    static func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    static func inode(_ path: String) -> UInt64? {
        var info = stat()
        return lstat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }
}
