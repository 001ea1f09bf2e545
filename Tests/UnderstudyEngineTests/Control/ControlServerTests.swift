#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import UnderstudyControl
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudySupport

/// DESIGN rule 7 for the local API: a bad request gets an error that says what was expected, and the daemon
/// goes on answering.
@Suite(.serialized)
struct ControlServerTests {
    @Test func theControlSocket_isPrivateFromItsFirstInstant_whateverTheUmask() throws {
        let root = TestTree.makeTemporaryDirectory("control-mode")
        defer { TestTree.remove(root) }
        // The process umask here (022 or so) would give a socket bound the usual way mode 0755 until a chmod.
        let fd = try ControlServer.listen(path: root + "/control.sock")
        defer { close(fd) }
        var info = stat()
        #expect(lstat(root + "/control.sock", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600, "mode \(String(info.st_mode & 0o777, radix: 8)) at creation")
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
    }

    @Test(arguments: [
        "not json", #"{"command": "reboot"}"#, #"{"group": "files"}"#, "{}", #"{"command": "sync", "group": 5}"#,
    ])
    func badRequest_getsAClearError_andChangesNothing(line: String) async throws {
        let cluster = try TestCluster(label: "control")
        defer { Task { await cluster.remove() } }
        try cluster.start("beta")
        let client = cluster.control("beta")
        _ = try await cluster.status("beta")
        let response = try await onThread { try client.send(line: Data(line.utf8)) }
        #expect(!response.ok)
        #expect(response.error?.contains("bad control request") == true, "\(String(describing: response.error))")
        #expect(response.error?.contains("expected") == true)
        #expect(response.code == "bad-request")
        #expect(try await cluster.status("beta").node == "beta", "the daemon still answers")
    }

    @Test func syncOfAGroupThisNodeDoesNotSync_saysWhereToRunIt() async throws {
        let cluster = try TestCluster(label: "control-sync")
        defer { Task { await cluster.remove() } }
        try cluster.start("alpha")
        let client = cluster.control("alpha")
        _ = try await cluster.status("alpha")
        let response = try await onThread { try client.send(ControlRequest.sync(group: "files")) }
        #expect(!response.ok)
        #expect(
            response.error?.contains("run `understudy sync files` there") == true,
            "\(String(describing: response.error))")
        let unknown = try await onThread { try client.send(ControlRequest.sync(group: "nope")) }
        #expect(unknown.error?.contains("no group 'nope'") == true)
    }

    @Test func failoverRequests_withoutAGroup_orOnANodeWithoutLinks_areRefusedClearly() async throws {
        let cluster = try TestCluster(label: "control-failover")
        defer { Task { await cluster.remove() } }
        try cluster.start("beta")
        let client = cluster.control("beta")
        _ = try await cluster.status("beta")
        let noGroup = try await onThread { try client.send(line: Data(#"{"version": 1, "command": "failover"}"#.utf8)) }
        #expect(!noGroup.ok)
        #expect(noGroup.error?.contains("failover needs a group") == true, "\(String(describing: noGroup.error))")
        // The test cluster's nodes share no link: a mirror only, nothing to take over.
        let noLinks = try await onThread {
            try client.send(ControlRequest.failover(group: "files", force: true))
        }
        #expect(!noLinks.ok)
        #expect(noLinks.error?.contains("share no link") == true, "\(String(describing: noLinks.error))")
        #expect(noLinks.code == "no-failover")
        let status = try await cluster.status("beta")
        #expect(status.failover == nil)
        #expect(status.groups.first?.role == .standby, "nothing changed")
    }
}
