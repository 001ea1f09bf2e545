#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Testing
@testable import UnderstudyControl
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudySupport

/// DESIGN rule 7 for the local API: a bad request gets an error that says what was expected, and the daemon
/// goes on answering.
@Suite(.serialized)
struct ControlSocketTests {
    @Test func theControlSocket_isPrivateFromItsFirstInstant_whateverTheUmask() throws {
        let root = TestTree.makeTemporaryDirectory("control-mode")
        defer { TestTree.remove(root) }
        // The process umask here (022 or so) would give a socket bound the usual way mode 0755 until a chmod.
        let fd = try ControlSocket.listen(path: root + "/control.sock")
        defer { close(fd) }
        var info = stat()
        #expect(lstat(root + "/control.sock", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600, "mode \(String(info.st_mode & 0o777, radix: 8)) at creation")
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
    }

    /// Records the requests it is handed and answers each with its command's name.
    final class RecordingHandler: ControlRequestHandler, @unchecked Sendable {
        private let lock = NSLock()
        private var received: [ControlRequest] = []
        private var origins: [RequestOrigin] = []
        var requests: [ControlRequest] { lock.withLock { received } }
        var askers: [RequestOrigin] { lock.withLock { origins } }

        func handle(_ request: ControlRequest, from who: RequestOrigin) async -> ControlResponse {
            lock.withLock {
                received.append(request)
                origins.append(who)
            }
            return .done("handled \(request)")
        }
    }

    @Test func theSocket_handsEachDecodedRequestToItsHandler_andRefusesABadLineWithoutIt() async throws {
        let root = TestTree.makeTemporaryDirectory("control-handler")
        defer { TestTree.remove(root) }
        let handler = RecordingHandler()
        let socket = ControlSocket(path: root + "/control.sock", handler: handler, logger: Logger(label: "test"))
        let serving = Task { try await socket.run() }
        defer { serving.cancel() }
        let client = ControlClient(socketPath: root + "/control.sock")
        // The service binds in a task of the pool, which the full suite's other tests keep busy: a run saw it take
        // over 10 s there.
        let answer = try await onThread { try client.send(.sync(group: "files"), waitingUpTo: 60) }
        #expect(answer.ok)
        #expect(answer.message?.contains("handled") == true, "\(answer)")
        let refused = try await onThread { try client.send(line: Data(#"{"version": 1, "command": "restore"}"#.utf8)) }
        #expect(!refused.ok && refused.code == "bad-request", "\(refused)")
        #expect(handler.requests == [.sync(group: "files")], "a request that cannot be decoded reaches no handler")
        #expect(handler.askers == [.controlSocket], "a request of the socket is recorded as the control socket's")
        serving.cancel()
        _ = await serving.result
        #expect(access(root + "/control.sock", F_OK) != 0, "the socket is removed when the service ends")
    }

    @Test func aClientAskingBeforeTheDaemonListens_reachesItOnceItDoes_andGivesUpAtItsDeadline() async throws {
        let root = TestTree.makeTemporaryDirectory("control-wait")
        defer { TestTree.remove(root) }
        let client = ControlClient(socketPath: root + "/control.sock")
        let asking = Task { try await onThread { try client.send(.status, waitingUpTo: 60) } }
        try await Task.sleep(for: .milliseconds(300))
        let socket = ControlSocket(
            path: root + "/control.sock", handler: RecordingHandler(), logger: Logger(label: "test"))
        let serving = Task { try await socket.run() }
        defer { serving.cancel() }
        let answer = try await asking.value
        #expect(answer.ok && answer.message?.contains("handled") == true, "\(answer)")

        let nobody = ControlClient(socketPath: root + "/nobody.sock")
        let started = Date()
        #expect {
            try nobody.send(.status, waitingUpTo: 0.3)
        } throws: { error in
            "\(error)".contains("cannot reach the daemon") && "\(error)".contains("nobody.sock")
        }
        #expect(Date().timeIntervalSince(started) < 30, "it gives up at its deadline")
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
